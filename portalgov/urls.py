"""URL map. Everything an organization owns lives under /o/<org_slug>/ and goes through
accounts.tenancy, which answers 404 for an unknown organization and 403 without a role."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from access import urls as access_urls
from accounts import urls as accounts_urls
from accounts import views as accounts_views
from audits import urls as audits_urls
from carriers import urls as carriers_urls
from compliance import urls as compliance_urls
from core import urls as core_urls
from core import views as core_views
from findings import urls as findings_urls
from hygiene import urls as hygiene_urls
from integrations import urls as integrations_urls
from integrations import views as integrations_views
from offboarding import urls as offboarding_urls
from reconciliation import urls as reconciliation_urls
from reviews import urls as reviews_urls
from security import urls as security_urls
from staff import urls as staff_urls
from training import urls as training_urls

# Each app contributes the pages that belong to one organization.
org_urlpatterns = [
    *core_urls.org_urlpatterns,
    *accounts_urls.org_urlpatterns,
    *audits_urls.org_urlpatterns,
    *carriers_urls.org_urlpatterns,
    *hygiene_urls.org_urlpatterns,
    *security_urls.org_urlpatterns,
    *reviews_urls.org_urlpatterns,
    *staff_urls.org_urlpatterns,
    *access_urls.org_urlpatterns,
    *findings_urls.org_urlpatterns,
    *offboarding_urls.org_urlpatterns,
    *integrations_urls.org_urlpatterns,
    *training_urls.org_urlpatterns,
    *reconciliation_urls.org_urlpatterns,
    *compliance_urls.org_urlpatterns,
]

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/", include("accounts.mfa_urls")),
    path("accounts/", include(security_urls.urlpatterns)),
    path("accounts/", include(accounts_urls.urlpatterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("o/<slug:org_slug>/", include(org_urlpatterns)),
    *compliance_urls.urlpatterns,
    path("api/v1/", include("portalgov.api_urls")),
    path("scim/v2/", include("scim.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy forbids inline script.
    path("api/docs/", integrations_views.signed_in_or_bearer(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
         name="api-docs"),
    # Anything else under /api/ or /scim/v2/ answers in the API's own error shape, not an HTML page.
    re_path(r"^api/.*$", integrations_views.api_not_found, name="api-not-found"),
    path("admin/", admin.site.urls),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
