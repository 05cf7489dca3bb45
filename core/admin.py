"""Admin pieces every app's admin shares."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence and machine-written records: listed and viewed in the admin, never added, edited or deleted
    there (the audit tables are append-only, review decisions are evidence, evaluation marks are written by
    the rules engine)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
