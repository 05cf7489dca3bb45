from django.urls import path

from . import views

# Spliced into portalgov.urls.org_urlpatterns: every page lives under /o/<org_slug>/.
org_urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("directory/export.csv", views.directory_csv, name="directory_csv"),
    path("directory/downtime-binder/", views.downtime_binder, name="directory_binder"),
    path("directory/gaps/", views.gaps, name="directory_gaps"),
    path("directory/portals/<int:pk>/", views.portal_detail, name="directory_portal"),
    path("directory/custom-portals/", views.custom_portals, name="directory_custom_portals"),
    path("directory/custom-portals/<int:pk>/edit/", views.custom_portal_edit, name="directory_custom_portal_edit"),
    path("directory/enrollments/<int:pk>/", views.enrollment_edit, name="directory_enrollment_edit"),
    path("directory/carriers/", views.carriers, name="directory_carriers"),
    path("directory/carriers/<int:pk>/", views.carrier_detail, name="directory_carrier"),
    path("directory/contracts/", views.contracts, name="directory_contracts"),
    path("directory/contracts/<int:pk>/edit/", views.contract_edit, name="directory_contract_edit"),
    path("directory/contracts/<int:pk>/delete/", views.contract_delete, name="directory_contract_delete"),
]
