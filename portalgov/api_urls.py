"""The REST API (v1). Each app adds its routes; every endpoint resolves its organization
through accounts.tenancy like the pages do."""

from django.urls import include, path

from accounts import api as accounts_api
from carriers import api as carriers_api

urlpatterns = [
    path("organizations/", accounts_api.OrganizationList.as_view(), name="api-organizations"),
    path("o/<slug:org_slug>/", accounts_api.OrganizationDetail.as_view(), name="api-organization"),
    path("o/<slug:org_slug>/directory/", carriers_api.DirectoryList.as_view(), name="api-directory"),
    path("o/<slug:org_slug>/contracts/", carriers_api.ContractList.as_view(), name="api-contracts"),
    path("", include("integrations.api_urls")),  # staff, portal accounts, findings, audit events
]
