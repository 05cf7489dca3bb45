from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from guardian.admin import GuardedModelAdmin

from .models import GroupNPI, MedicarePTAN, Membership, Organization, PracticeLocation, RecoveryCode, TOTPDevice, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "last_organization")}),
        ("Platform", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    filter_horizontal = ()
    list_filter = ["is_active", "is_staff"]


class GroupNPIInline(admin.TabularInline):
    model = GroupNPI
    extra = 0


class PTANInline(admin.TabularInline):
    model = MedicarePTAN
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(GuardedModelAdmin):
    list_display = ["legal_name", "slug", "tin"]
    search_fields = ["legal_name", "slug", "tin"]
    inlines = [GroupNPIInline, PTANInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__legal_name"]
    # Roles change through accounts.services so grants and audit events follow; read-only here.
    readonly_fields = ["user", "organization", "role", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    """Fix-ups only (e.g. delete a lost device). The secret is never shown: use the MFA reset of the
    practice's Sign-in security page, which is audited."""

    list_display = ["user", "name", "confirmed", "confirmed_at", "throttling_failure_count"]
    list_filter = ["confirmed"]
    search_fields = ["user__email"]
    fields = ["user", "name", "confirmed", "confirmed_at", "created_at", "throttling_failure_count"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(RecoveryCode)
class RecoveryCodeAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "used_at"]
    search_fields = ["user__email"]
    fields = ["user", "created_at", "used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(GroupNPI)
class GroupNPIAdmin(admin.ModelAdmin):
    list_display = ["npi", "label", "organization"]
    search_fields = ["npi", "organization__legal_name"]


@admin.register(MedicarePTAN)
class MedicarePTANAdmin(admin.ModelAdmin):
    list_display = ["ptan", "state", "npi", "organization"]
    search_fields = ["ptan", "npi", "organization__legal_name"]


@admin.register(PracticeLocation)
class PracticeLocationAdmin(admin.ModelAdmin):
    list_display = ["organization", "name", "state", "county"]
    list_filter = ["state"]
