from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from guardian.admin import GuardedModelAdmin

from .models import GroupNPI, MedicarePTAN, Membership, Organization, User


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
