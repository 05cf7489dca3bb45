"""Fix-ups only: accounts change through access.services so every change is audited and checked."""

from django.contrib import admin

from .models import AccessException, AccessPolicy, OrganizationCredential, PortalAccount, ProvisioningTask


@admin.register(AccessPolicy)
class AccessPolicyAdmin(admin.ModelAdmin):
    list_display = ("organization", "job_role", "updated_at")


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin):
    list_display = ("portal_user_id", "staff_member", "enrollment", "status", "source")
    list_filter = ("status", "source")
    search_fields = ("portal_user_id", "staff_member__full_name")
    list_select_related = ("staff_member", "enrollment__portal")
    raw_id_fields = ("staff_member", "enrollment", "provisioned_by")
    readonly_fields = ("status",)  # the lifecycle moves only through portal_account_transition


@admin.register(OrganizationCredential)
class OrganizationCredentialAdmin(admin.ModelAdmin):
    list_display = ("label", "organization", "kind", "rotation_required")
    raw_id_fields = ("enrollment",)


@admin.register(ProvisioningTask)
class ProvisioningTaskAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "portal_account", "assignee", "status", "due_on")
    list_filter = ("status", "kind")
    list_select_related = ("portal_account__enrollment__portal", "portal_account__staff_member", "assignee")
    raw_id_fields = ("portal_account", "assignee", "created_by", "completed_by")


@admin.register(AccessException)
class AccessExceptionAdmin(admin.ModelAdmin):
    list_display = ("portal_account", "function", "expires_on", "approved_at", "revoked_at")
    list_select_related = ("portal_account__enrollment__portal", "portal_account__staff_member", "function")
    raw_id_fields = ("portal_account", "requested_by", "approved_by")
