from django.urls import path

from . import views

org_urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export/", views.export, name="audit_export"),
    path("audit/verification/", views.verification_status, name="audit_verification"),
    path("audit/verification/run/", views.verify_now, name="audit_verify_now"),
    path("audit/checkpoint.txt", views.checkpoint_download, name="audit_checkpoint_download"),
    path("audit/checkpoint/", views.checkpoint_now, name="audit_checkpoint_now"),
    path("audit/events/<int:event_id>/", views.event_detail, name="audit_event"),
    path("audit/people/<int:user_id>/", views.person_history, name="audit_person_history"),
    path("audit/objects/<str:object_type>/<str:object_pk>/", views.object_history, name="audit_object_history"),
]
