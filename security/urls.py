from django.urls import path

from . import org_views, views

# Pages under /o/<org_slug>/ (spliced into portalgov.urls.org_urlpatterns).
org_urlpatterns = [
    path("security/", org_views.security_overview, name="security_overview"),
    path("security/mfa-policy/", org_views.mfa_policy, name="security_mfa_policy"),
    path("security/members/<int:pk>/unlock/", org_views.member_unlock, name="security_member_unlock"),
    path("security/members/<int:pk>/mfa-reset/", org_views.member_mfa_reset, name="security_member_mfa_reset"),
]

# Pages for the signed-in person (no organization).
urlpatterns = [
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
    path("session/status/", views.session_status, name="session_status"),
]
