from django.urls import path

from . import views

org_urlpatterns = [
    path("jobs/", views.jobs, name="jobs"),
]
