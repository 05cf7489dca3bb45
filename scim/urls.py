"""SCIM 2.0 under /scim/v2/ (the organization is the credential's)."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("ServiceProviderConfig", views.ServiceProviderConfig.as_view(), name="scim-spc"),
    path("Schemas", views.Schemas.as_view(), name="scim-schemas"),
    re_path(r"^Schemas/(?P<schema_id>[^/]{1,200})$", views.Schemas.as_view(), name="scim-schema"),
    path("ResourceTypes", views.ResourceTypes.as_view(), name="scim-resource-types"),
    re_path(r"^ResourceTypes/(?P<type_id>[^/]{1,100})$", views.ResourceTypes.as_view(), name="scim-resource-type"),
    path("Users", views.Users.as_view(), name="scim-users"),
    re_path(r"^Users/(?P<scim_id>[^/]{1,100})$", views.UserDetail.as_view(), name="scim-user"),
    path("Groups", views.Unsupported.as_view(), name="scim-groups"),
    path("Bulk", views.Unsupported.as_view(), name="scim-bulk"),
    re_path(r"^.*$", views.NoSuchEndpoint.as_view(), name="scim-not-found"),
]
