from django.urls import path

from . import views

org_urlpatterns = [
    path("integrations/", views.credentials, name="integrations"),
    path("integrations/<int:pk>/revoke/", views.credential_revoke, name="integrations_credential_revoke"),
]
