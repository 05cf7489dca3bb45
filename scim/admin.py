from django.contrib import admin

from .models import JobTitleMapping, ScimIdentity


@admin.register(JobTitleMapping)
class JobTitleMappingAdmin(admin.ModelAdmin):
    list_display = ["title", "job_role", "organization"]
    list_filter = ["organization", "job_role"]


@admin.register(ScimIdentity)
class ScimIdentityAdmin(admin.ModelAdmin):
    """Read-only: identity providers write these through SCIM."""

    list_display = ["staff_member", "organization", "external_id", "title", "deprovisioned_at"]
    list_filter = ["organization"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
