from django.urls import path

from . import mfa_views

# Mounted under /accounts/ (see portalgov/urls.py).
urlpatterns = [
    path("mfa/enroll/", mfa_views.enroll, name="mfa_enroll"),
    path("mfa/verify/", mfa_views.verify, name="mfa_verify"),
    path("mfa/recovery/", mfa_views.recovery, name="mfa_recovery"),
    path("security/", mfa_views.account_security, name="account_security"),
]
