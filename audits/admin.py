from django.contrib import admin

from .models import AuditCheckpoint, AuditEvent, AuditVerification

# django-auditlog registers its admin for AUDITLOG_LOGENTRY_MODEL; ours replaces it.
if admin.site.is_registered(AuditEvent):
    admin.site.unregister(AuditEvent)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: the audit tables are append-only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
