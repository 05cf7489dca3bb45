from django.contrib import admin

from .models import ChecklistItem, ExternalRecertification, Notice, OffboardingCase, OffboardingSettings, RoleWatermark


@admin.register(OffboardingCase)
class OffboardingCaseAdmin(admin.ModelAdmin):
    list_display = ["staff_member", "organization", "reason", "recorded_at", "due_at", "completed_at"]
    list_filter = ["reason"]
    readonly_fields = [f.name for f in OffboardingCase._meta.fields]  # evidence: read-only


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "status", "due_at", "done_at", "done_by_label"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in ChecklistItem._meta.fields]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["kind", "recipient", "subject", "sent_at"]
    readonly_fields = [f.name for f in Notice._meta.fields]


admin.site.register(OffboardingSettings)
admin.site.register(ExternalRecertification)


@admin.register(RoleWatermark)
class RoleWatermarkAdmin(admin.ModelAdmin):
    list_display = ["staff_member", "job_role", "evaluated_at"]
    readonly_fields = [f.name for f in RoleWatermark._meta.fields]
