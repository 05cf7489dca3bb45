from django.urls import path

from . import views

org_urlpatterns = [
    path("organization/", views.organization_profile, name="organization_profile"),
    path(
        "organization/<str:kind>/<int:pk>/remove/",
        views.organization_identifier_remove,
        name="organization_identifier_remove",
    ),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("members/invitations/<int:pk>/withdraw/", views.invitation_withdraw_view, name="invitation_withdraw"),
]

# Under /accounts/ (no organization), before django.contrib.auth.urls so these views answer first.
urlpatterns = [
    path("invitations/<int:pk>/", views.invitation, name="invitation"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
]
