"""Quarterly access reviews: a campaign per organization and period, one item per portal account
or organization credential (a snapshot of what the reviewer sees), the decisions taken on them,
and the reminders sent. Decisions are final once recorded (as in Okta and midPoint); a campaign
closes when an administrator signs it off."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The flags that make a review item "flagged": it is decided on its own, with its own reason, and no bulk
# decision covers it (DESIGN invariant 12). Labels are the words shown to people.
FLAG_LABELS = {
    "terminated": "Left the practice", "on_leave": "On leave", "inactive": "Inactive",
    "beyond_policy": "Beyond policy", "shared_user_id": "Shared user ID", "deactivation_pending": "Deactivation pending",
    "open_findings": "Open findings", "no_mfa": "No MFA",
}
FLAGGED = frozenset({"terminated", "on_leave", "inactive", "beyond_policy", "shared_user_id", "deactivation_pending"})


class UndecidedRule(models.TextChoices):
    ESCALATE = "escalate", "Escalate to the administrators"
    REVOKE = "revoke", "Revoke the access"


class ReviewSettings(models.Model):
    """How one organization runs its reviews. Without a row, the defaults below apply."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE,
                                        related_name="review_settings")
    cadence_months = models.PositiveSmallIntegerField(
        default=3, choices=[(1, "Monthly"), (3, "Quarterly"), (6, "Twice a year"), (12, "Yearly")])
    duration_days = models.PositiveSmallIntegerField(default=14, help_text="Days from launch to the due date.")
    reminder_days_before = models.JSONField(default=list, blank=True,
                                            help_text="Days before the due date that reviewers are reminded.")
    weekly_reminders = models.BooleanField(default=True, help_text="Remind reviewers every 7 days after launch.")
    undecided_rule = models.CharField(max_length=10, choices=UndecidedRule.choices, default=UndecidedRule.ESCALATE,
                                      help_text="What happens to items still undecided after the due date.")
    escalate_after_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days after the due date before overdue items follow the rule above.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "review settings"

    def __str__(self):
        return f"Review settings of {self.organization}"

    @property
    def reminder_days(self) -> list[int]:
        return sorted({int(d) for d in (self.reminder_days_before or [])}, reverse=True)


DEFAULT_REMINDER_DAYS = [3, 1]


class ReviewCampaign(models.Model):
    class Status(models.TextChoices):
        LAUNCHING = "launching", "Launching"
        OPEN = "open", "Open"
        CLOSED = "closed", "Signed off"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="review_campaigns")
    period = models.CharField(max_length=10, help_text="e.g. 2026Q4, 2026H2, 2026-11 or 2026.")
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LAUNCHING, db_index=True)
    period_start = models.DateField()
    launched_at = models.DateTimeField(default=timezone.now)
    launched_by = models.CharField(max_length=200, blank=True)
    due_on = models.DateField()
    undecided_rule = models.CharField(max_length=10, choices=UndecidedRule.choices, default=UndecidedRule.ESCALATE)
    escalate_after_days = models.PositiveSmallIntegerField(default=0)
    reminder_days_before = models.JSONField(default=list, blank=True)
    weekly_reminders = models.BooleanField(default=True)
    scope = models.JSONField(default=dict, blank=True, help_text="What was reviewed, counted at launch.")
    escalated_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    sign_off_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-period_start", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "period"], name="uniq_review_per_period")]

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Decision(models.TextChoices):
    KEEP = "keep", "Keep"
    CHANGE = "change", "Change"
    REVOKE = "revoke", "Revoke"
    NOT_SURE = "not_sure", "Not sure"


FINAL_DECISIONS = (Decision.KEEP, Decision.CHANGE, Decision.REVOKE)


class ReviewItem(models.Model):
    """One account (or organization credential) under review, as it stood at launch."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Portal account"
        CREDENTIAL = "credential", "Organization credential"

    class ReviewerBasis(models.TextChoices):
        MANAGER = "manager", "Holder's manager"
        BILLING_MANAGER = "billing_manager", "Billing manager"
        ADMINISTRATOR = "administrator", "Administrator"
        DELEGATED = "delegated", "Delegated"
        REASSIGNED = "reassigned", "Reassigned by an administrator"
        UNASSIGNED = "unassigned", "Nobody eligible"

    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.CASCADE, related_name="items")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ACCOUNT)
    portal_account = models.ForeignKey("access.PortalAccount", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="review_items")
    credential = models.ForeignKey("access.OrganizationCredential", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="review_items")
    holder = models.ForeignKey("staff.StaffMember", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="review_items")
    holder_name = models.CharField(max_length=200)
    portal_name = models.CharField(max_length=200, blank=True)
    snapshot = models.JSONField(default=dict, help_text="What the reviewer sees: the access as it stood at launch.")
    flags = models.JSONField(default=list, blank=True,
                             help_text="terminated / on_leave / inactive / beyond_policy / open_findings / no_mfa")
    flagged = models.BooleanField(default=False, db_index=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="review_items")
    reviewer_basis = models.CharField(max_length=16, choices=ReviewerBasis.choices)
    delegated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True, db_index=True)
    reason = models.TextField(blank=True)
    keep_until = models.DateField(null=True, blank=True)
    functions_removed = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_in_bulk = models.BooleanField(default=False)
    decision_seconds = models.PositiveIntegerField(null=True, blank=True,
                                                   help_text="Time since the reviewer's previous decision.")
    escalated_at = models.DateTimeField(null=True, blank=True)
    remediation_task = models.ForeignKey("access.ProvisioningTask", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="review_items")
    access_at_close = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["holder_name", "portal_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "portal_account"], condition=Q(portal_account__isnull=False),
                                    name="uniq_review_item_account"),
            models.UniqueConstraint(fields=["campaign", "credential"], condition=Q(credential__isnull=False),
                                    name="uniq_review_item_credential"),
            models.CheckConstraint(
                condition=(Q(kind="account", portal_account__isnull=False, credential__isnull=True)
                           | Q(kind="credential", credential__isnull=False, portal_account__isnull=True)),
                name="review_item_one_target"),
        ]
        indexes = [
            models.Index(fields=["reviewer", "decision"], name="review_item_queue"),
            models.Index(fields=["campaign", "decision"], name="review_item_progress"),
        ]

    def __str__(self):
        return f"{self.holder_name} on {self.portal_name}" if self.portal_name else self.holder_name

    @property
    def is_decided(self) -> bool:
        return self.decision in FINAL_DECISIONS

    @property
    def functions_removed_names(self) -> list[str]:
        """The removed functions by their names (as the reviewer saw them), never their codes."""
        names = {f["code"]: f["name"] for f in (self.snapshot or {}).get("functions", [])}
        return [names.get(code) or code.replace("_", " ").capitalize() for code in self.functions_removed or []]


class ReviewDecision(models.Model):
    """Append-only history of every decision (invariant 7: who, when, what they saw, why)."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(blank=True)
    keep_until = models.DateField(null=True, blank=True)
    functions_removed = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_by_label = models.CharField(max_length=200)
    decided_at = models.DateTimeField()
    in_bulk = models.BooleanField(default=False)
    snapshot_seen = models.JSONField(default=dict)

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self):
        return f"{self.get_decision_display()} by {self.decided_by_label} at {self.decided_at:%Y-%m-%d %H:%M}"


class ReviewReminder(models.Model):
    """One e-mail to one person about one campaign on one day: the unique key makes the daily job
    safe to run twice."""

    class Kind(models.TextChoices):
        LAUNCH = "launch", "Launch"
        WEEKLY = "weekly", "Weekly"
        BEFORE_DUE = "before_due", "Before the due date"
        OVERDUE = "overdue", "Overdue"
        ESCALATION = "escalation", "Escalation to an administrator"

    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    sent_on = models.DateField()
    open_items = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "recipient", "kind", "sent_on"], name="uniq_reminder_per_day"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} reminder to {self.recipient_id} on {self.sent_on}"
