"""Findings: a rule that fails, kept with its severity, when it was first seen and when resolved."""

from django.conf import settings
from django.db import models


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# Keys of findings another part of the system raised (not the rules' to resolve, nor seen by an evaluation).
SYSTEM_PREFIX = "system:"

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


class EvaluationMark(models.Model):
    """When the rules last evaluated an organization. Every open finding the rules manage (not a system
    finding) was seen by that evaluation (one it did not see is resolved by it), so an open finding's
    last_seen is this mark (findings.selectors.last_seen_expression): the evaluation writes one row here
    instead of rewriting last_seen on every unchanged open finding every day (about 168,000 row versions a
    day at 300,000 accounts, 360 to 470 ms per practice). A finding's own last_seen is written when it is
    opened, and on resolution set to the last evaluation that saw it."""

    organization = models.OneToOneField("accounts.Organization", primary_key=True, on_delete=models.CASCADE,
                                        related_name="+")
    evaluated_at = models.DateTimeField()

    def __str__(self):
        return f"{self.organization_id}: {self.evaluated_at}"
