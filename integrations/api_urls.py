"""Integrations API routes, included by portalgov/api_urls.py under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("o/<slug:org_slug>/staff/", api.StaffList.as_view(), name="api-staff"),
    path("o/<slug:org_slug>/staff/upsert/", api.StaffUpsert.as_view(), name="api-staff-upsert"),
    path("o/<slug:org_slug>/staff/<int:staff_id>/", api.StaffDetail.as_view(), name="api-staff-detail"),
    path("o/<slug:org_slug>/staff/<int:staff_id>/terminate/", api.StaffTerminate.as_view(), name="api-staff-terminate"),
    path("o/<slug:org_slug>/portal-accounts/", api.PortalAccountList.as_view(), name="api-portal-accounts"),
    path("o/<slug:org_slug>/portal-accounts/<int:account_id>/", api.PortalAccountDetail.as_view(),
         name="api-portal-account"),
    path("o/<slug:org_slug>/findings/", api.FindingList.as_view(), name="api-findings"),
    path("o/<slug:org_slug>/audit-events/", api.AuditEventList.as_view(), name="api-audit-events"),
]
