from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import EvaluationMark, Finding


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


@admin.register(EvaluationMark)
class EvaluationMarkAdmin(ReadOnlyAdmin):
    """When the rules last evaluated each organization (written by the evaluation itself; the open findings'
    last_seen is read from it, so nobody edits or deletes it by hand)."""

    list_display = ("organization", "evaluated_at")
