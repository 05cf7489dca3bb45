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
]
