"""The REST API (v1). Each app adds its routes; every endpoint resolves its organization
through accounts.tenancy like the pages do."""

from django.urls import include, path

from access import api as access_api
from accounts import api as accounts_api
from carriers import api as carriers_api
from reviews import api as reviews_api
from training import api as training_api

urlpatterns = [
    path("organizations/", accounts_api.OrganizationList.as_view(), name="api-organizations"),
    path("o/<slug:org_slug>/", accounts_api.OrganizationDetail.as_view(), name="api-organization"),
    path("o/<slug:org_slug>/directory/", carriers_api.DirectoryList.as_view(), name="api-directory"),
    path("o/<slug:org_slug>/contracts/", carriers_api.ContractList.as_view(), name="api-contracts"),
    path("o/<slug:org_slug>/training-modules/", training_api.TrainingModuleList.as_view(), name="api-training-modules"),
    path("o/<slug:org_slug>/training-completions/", training_api.TrainingCompletionList.as_view(),
         name="api-training-completions"),
    path("o/<slug:org_slug>/review-campaigns/", reviews_api.ReviewCampaignList.as_view(), name="api-review-campaigns"),
    path("o/<slug:org_slug>/review-campaigns/<int:campaign_id>/", reviews_api.ReviewCampaignDetail.as_view(),
         name="api-review-campaign"),
    path("o/<slug:org_slug>/review-campaigns/<int:campaign_id>/items/", reviews_api.ReviewItemList.as_view(),
         name="api-review-items"),
    path("o/<slug:org_slug>/review-items/<int:item_id>/decide/", reviews_api.ReviewItemDecide.as_view(),
         name="api-review-item-decide"),
    path("o/<slug:org_slug>/provisioning-tasks/", access_api.ProvisioningTaskList.as_view(),
         name="api-provisioning-tasks"),
    path("", include("integrations.api_urls")),  # staff, portal accounts, findings, audit events
]
