"""Django admin for fix-ups only. Decisions and reminders are evidence: read-only here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import ReviewCampaign, ReviewDecision, ReviewItem, ReviewReminder, ReviewSettings


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    list_display = ("organization", "cadence_months", "duration_days", "undecided_rule")


@admin.register(ReviewCampaign)
class ReviewCampaignAdmin(ReadOnlyAdmin):
    list_display = ("name", "organization", "status", "launched_at", "due_on", "closed_at")
    list_filter = ("status",)


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ("holder_name", "portal_name", "campaign", "reviewer", "decision", "decided_at")
    list_filter = ("decision", "kind")
    list_select_related = ("campaign", "reviewer")
    raw_id_fields = ("campaign", "portal_account", "credential", "holder", "reviewer", "remediation_task")


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    list_display = ("item", "decision", "decided_by_label", "decided_at", "in_bulk")
    list_select_related = ("item",)


@admin.register(ReviewReminder)
class ReviewReminderAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "recipient", "kind", "sent_on", "open_items")
    list_select_related = ("campaign", "recipient")
