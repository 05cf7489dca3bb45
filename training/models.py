"""Portal training: what the practice requires of whom (modules) and who completed it when (completions)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    GENERAL = "general", "General portal security (every portal account holder)"
    PORTAL = "portal", "One portal (holders of an account on it)"
    FUNCTION = "function", "One portal function (holders of an account with it)"


class TrainingModule(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="training_modules")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.GENERAL)
    portal = models.ForeignKey("carriers.Portal", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    function = models.ForeignKey("carriers.PortalFunction", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    renewal_months = models.PositiveSmallIntegerField(default=12, help_text="A completion counts for this long.")
    is_active = models.BooleanField("active", default=True,
                                    help_text="Only active modules are required of account holders.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "title"], name="uniq_training_title_per_org")]

    def __str__(self):
        return self.title

    @property
    def requirement_label(self) -> str:
        if self.scope == Scope.PORTAL and self.portal_id:
            return f"Holders of an account on {self.portal.name}"
        if self.scope == Scope.FUNCTION and self.function_id:
            return f"Holders of an account with {self.function.name}"
        return "Every portal account holder"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Same day `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class TrainingCompletion(models.Model):
    class Method(models.TextChoices):
        ATTESTED = "attested", "Attested by the staff member"
        RECORDED = "recorded", "Recorded by an administrator"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="training_completions")
    staff_member = models.ForeignKey("staff.StaffMember", on_delete=models.CASCADE,
                                     related_name="training_completions")
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="completions")
    completed_on = models.DateField()
    expires_on = models.DateField(help_text="completed_on + the module's renewal period, fixed when recorded.")
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.RECORDED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    evidence = models.CharField("evidence note", max_length=500, blank=True,
                                help_text="e.g. certificate number, LMS export, sign-in sheet.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-pk"]
        indexes = [models.Index(fields=["organization", "staff_member", "module"], name="training_compl_lookup")]

    def __str__(self):
        return f"{self.staff_member} completed {self.module} on {self.completed_on}"
