from django.contrib import admin

from .models import Difference, ReconciliationPolicy, UserListMapping, UserListUpload


@admin.register(UserListMapping)
class UserListMappingAdmin(admin.ModelAdmin):
    list_display = ["organization", "portal", "updated_at"]


@admin.register(ReconciliationPolicy)
class ReconciliationPolicyAdmin(admin.ModelAdmin):
    list_display = ["organization", "unresolved_limit_days"]


@admin.register(UserListUpload)
class UserListUploadAdmin(admin.ModelAdmin):
    list_display = ["organization", "enrollment", "filename", "rows", "uploaded_at"]
    readonly_fields = ["sha256", "summary"]


@admin.register(Difference)
class DifferenceAdmin(admin.ModelAdmin):
    list_display = ["organization", "enrollment", "kind", "portal_user_id", "status", "resolution", "first_seen"]
    list_filter = ["kind", "status"]
