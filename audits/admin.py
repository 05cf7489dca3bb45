from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AuditArchive, AuditCheckpoint, AuditEvent, AuditSeal, AuditVerification

# django-auditlog registers its admin for AUDITLOG_LOGENTRY_MODEL; ours replaces it.
if admin.site.is_registered(AuditEvent):
    admin.site.unregister(AuditEvent)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "actor_label", "action", "object_label", "organization_id"]
    list_filter = ["actor_type", "severity"]
    search_fields = ["actor_label", "object_label", "action"]
    show_full_result_count = False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["tree_size", "created_at", "reason", "key_id"]


@admin.register(AuditVerification)
class AuditVerificationAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "ok", "events_checked", "problem"]


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    list_display = ["seq", "event_id", "event_timestamp", "sealed_at"]
    show_full_result_count = False


@admin.register(AuditArchive)
class AuditArchiveAdmin(ReadOnlyAdmin):
    list_display = ["month", "event_count", "first_seq", "last_seq", "created_at", "location"]
