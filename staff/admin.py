"""Fix-ups only: the roster is managed through the product pages (and its services)."""

from django.contrib import admin

from .models import EnrollmentAdministrator, StaffMember


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("full_name", "work_email", "organization", "job_role", "employment_status")
    list_filter = ("employment_status", "job_role")
    search_fields = ("full_name", "work_email")
    list_select_related = ("organization",)
    raw_id_fields = ("manager", "user")


@admin.register(EnrollmentAdministrator)
class EnrollmentAdministratorAdmin(admin.ModelAdmin):
    list_display = ("staff_member", "enrollment", "role")
    list_select_related = ("staff_member", "enrollment__portal")
    raw_id_fields = ("staff_member", "enrollment")
