from django.urls import path

from . import views

org_urlpatterns = [
    path("reconciliation/", views.reconciliation_index, name="reconciliation"),
    path("reconciliation/enrollments/<int:pk>/upload/", views.user_list_upload, name="reconciliation_upload"),
    path("reconciliation/enrollments/<int:pk>/columns/", views.user_list_mapping, name="reconciliation_mapping"),
    path("reconciliation/lists/<int:pk>/", views.upload_detail, name="reconciliation_upload_detail"),
    path("reconciliation/differences/<int:pk>/resolve/", views.difference_resolve, name="reconciliation_resolve"),
]
