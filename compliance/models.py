"""A daily snapshot of each organization's headline figures, so the dashboard and the multi-practice
summary can show the trend (today's counts alone hide whether things get better)."""

from django.db import models
from django.utils import timezone


class ComplianceSnapshot(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="compliance_snapshots")
    day = models.DateField()
    figures = models.JSONField(default=dict)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization", "-day"]
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="uniq_snapshot_per_day")]
        indexes = [models.Index(fields=["day"], name="snapshot_day")]

    def __str__(self):
        return f"{self.organization}: {self.day}"
