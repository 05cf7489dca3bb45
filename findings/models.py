"""Findings: a rule that fails, kept with its severity, when it was first seen and when resolved."""

from django.conf import settings
from django.db import models


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class Finding(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="findings")
    rule = models.CharField(max_length=48, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField(default=3)
    key = models.CharField(max_length=200, help_text="Identifies the failing fact, so re-evaluation finds it again.")
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    staff_member = models.ForeignKey("staff.StaffMember", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="findings")
    portal_account = models.ForeignKey("access.PortalAccount", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="findings")
    enrollment = models.ForeignKey("carriers.PortalEnrollment", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="findings")
    credential = models.ForeignKey("access.OrganizationCredential", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="findings")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    silenced_at = models.DateTimeField(null=True, blank=True)
    silenced_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    silence_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["severity_rank", "-first_seen", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], condition=models.Q(resolved_at__isnull=True),
                                    name="uniq_open_finding_key"),
        ]
        indexes = [models.Index(fields=["organization", "resolved_at", "severity_rank"], name="finding_org_open")]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
