from django.urls import path

from . import views

org_urlpatterns = [
    path("findings/", views.findings, name="findings"),
    path("findings/<int:pk>/silence/", views.finding_silence_view, name="finding_silence"),
]
