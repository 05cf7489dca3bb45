from django.urls import path

from . import views

org_urlpatterns = [
    path("offboarding/", views.cases, name="offboarding_cases"),
    path("offboarding/new/", views.leaver_new, name="offboarding_leaver_new"),
    path("offboarding/settings/", views.settings_page, name="offboarding_settings"),
    path("offboarding/recertifications/", views.recertifications, name="offboarding_recertifications"),
    path("offboarding/<int:pk>/", views.case_detail, name="offboarding_case"),
    path("offboarding/items/<int:pk>/complete/", views.item_complete, name="offboarding_item_complete"),
    path("offboarding/items/<int:pk>/successor/", views.successor, name="offboarding_successor"),
]
