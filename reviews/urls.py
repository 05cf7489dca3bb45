from django.urls import path

from . import views, views_campaign

org_urlpatterns = [
    path("reviews/", views_campaign.history, name="reviews_history"),
    path("reviews/mine/", views.queue, name="reviews_queue"),
    path("reviews/launch/", views_campaign.launch_now, name="reviews_launch"),
    path("reviews/settings/", views_campaign.review_settings, name="reviews_settings"),
    path("reviews/bulk/", views.bulk_decide, name="reviews_bulk_decide"),
    path("reviews/items/<int:pk>/decide/", views.decide, name="reviews_decide"),
    path("reviews/items/<int:pk>/delegate/", views.delegate, name="reviews_delegate"),
    path("reviews/items/<int:pk>/reassign/", views.reassign, name="reviews_reassign"),
    path("reviews/items/<int:pk>/remediation/", views_campaign.remediation_complete, name="reviews_remediation"),
    path("reviews/<int:pk>/", views_campaign.campaign_detail, name="reviews_campaign"),
    path("reviews/<int:pk>/sign-off/", views_campaign.sign_off, name="reviews_sign_off"),
    path("reviews/<int:pk>/evidence/", views_campaign.evidence_page, name="reviews_evidence"),
    path("reviews/<int:pk>/evidence.csv", views_campaign.evidence_csv, name="reviews_evidence_csv"),
]
