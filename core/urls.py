from django.urls import path

from . import views

org_urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
