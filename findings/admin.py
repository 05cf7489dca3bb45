from django.contrib import admin

from .models import Finding


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    """Read-only: findings are opened and resolved by the rules engine."""

    list_display = ("title", "organization", "rule", "severity", "first_seen", "resolved_at")
    list_filter = ("severity", "rule")
    search_fields = ("title",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
