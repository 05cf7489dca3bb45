from django.contrib import admin

from .models import ChecklistItem, ExternalRecertification, Notice, OffboardingCase, OffboardingSettings, RoleWatermark


class EvidenceAdmin(admin.ModelAdmin):
    """Every field read-only (evidence): shown, never added or changed here. An add page with no field to fill
    would save an empty row and fail on its first required column (a 500)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OffboardingCase)
class OffboardingCaseAdmin(EvidenceAdmin):
    list_display = ["staff_member", "organization", "reason", "recorded_at", "due_at", "completed_at"]
    list_filter = ["reason"]
    readonly_fields = [f.name for f in OffboardingCase._meta.fields]  # evidence: read-only


@admin.register(ChecklistItem)
class ChecklistItemAdmin(EvidenceAdmin):
    list_display = ["case", "kind", "status", "due_at", "done_at", "done_by_label"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in ChecklistItem._meta.fields]


@admin.register(Notice)
class NoticeAdmin(EvidenceAdmin):
    list_display = ["kind", "recipient", "subject", "sent_at"]
    readonly_fields = [f.name for f in Notice._meta.fields]


admin.site.register(OffboardingSettings)
admin.site.register(ExternalRecertification)


@admin.register(RoleWatermark)
class RoleWatermarkAdmin(EvidenceAdmin):
    list_display = ["staff_member", "job_role", "evaluated_at"]
    readonly_fields = [f.name for f in RoleWatermark._meta.fields]
