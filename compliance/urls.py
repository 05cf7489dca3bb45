from django.urls import path

from . import views

org_urlpatterns = [
    path("trends/", views.trends, name="compliance_trends"),
]

urlpatterns = [
    path("summary/", views.summary, name="practices_summary"),
]
