"""Offboarding and account hygiene: each leaver's checklist with its deadline (one hour by default),
administrator succession, movers' watermark, external re-certification dates and the e-mails sent
(kept so a rerun never sends twice)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

DEFAULT_DEADLINE_MINUTES = 60  # the proposed HIPAA rule: access ends within one hour of employment ending
DEFAULT_REMINDER_DAYS = [14, 7, 3, 1, 0]


class OffboardingSettings(models.Model):
    """Per organization: how soon a leaver's access must be gone, and when reminders go out."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE,
                                        related_name="offboarding_settings")
    deadline_minutes = models.PositiveIntegerField(
        default=DEFAULT_DEADLINE_MINUTES,
        help_text="Minutes from recording a leaver to every portal access being gone (60 = the one-hour target).")
    reminder_days = models.JSONField(
        default=list, blank=True,
        help_text="Days before a password expiry, lock-out or re-certification date on which administrators are reminded.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name_plural = "offboarding settings"

    def __str__(self):
        return f"Offboarding settings of {self.organization}"


class OffboardingCase(models.Model):
    """One departure (termination or leave) of one person, with its checklist and deadline."""

    class Reason(models.TextChoices):
        TERMINATED = "terminated", "Left the practice"
        ON_LEAVE = "on_leave", "On leave"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="offboarding_cases")
    staff_member = models.ForeignKey("staff.StaffMember", on_delete=models.PROTECT, related_name="offboarding_cases")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    recorded_at = models.DateTimeField(default=timezone.now)
    end_date = models.DateField(null=True, blank=True)
    deadline_minutes = models.PositiveIntegerField(default=DEFAULT_DEADLINE_MINUTES)
    due_at = models.DateTimeField()
    recorded_by_label = models.CharField(max_length=254, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["staff_member"], condition=Q(completed_at__isnull=True),
                                    name="uniq_open_offboarding_case"),
        ]
        indexes = [models.Index(fields=["organization", "completed_at"], name="offb_case_org_open")]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.staff_member}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


class ChecklistItem(models.Model):
    """One thing to do for a leaver: appoint a successor administrator (first), deactivate or suspend
    a portal account, rotate an organization credential. Done-ness mirrors the underlying record
    (the provisioning task, the account, the credential, the enrollment's administrators)."""

    class Kind(models.TextChoices):
        SUCCESSOR = "successor", "Appoint a successor portal administrator"
        DEACTIVATE = "deactivate", "Deactivate portal account"
        SUSPEND = "suspend", "Suspend portal account"
        ROTATE = "rotate", "Rotate organization credential"

    class Status(models.TextChoices):
        OPEN = "open", "To do"
        HELD = "held", "Held until a successor is recorded"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Not needed"

    SORT = {Kind.SUCCESSOR: 0, Kind.DEACTIVATE: 1, Kind.SUSPEND: 1, Kind.ROTATE: 2}

    case = models.ForeignKey(OffboardingCase, on_delete=models.CASCADE, related_name="items")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=80)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    sort = models.PositiveSmallIntegerField(default=1)
    enrollment = models.ForeignKey("carriers.PortalEnrollment", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    portal_account = models.ForeignKey("access.PortalAccount", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="offboarding_items")
    credential = models.ForeignKey("access.OrganizationCredential", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    task = models.ForeignKey("access.ProvisioningTask", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="offboarding_items")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by_label = models.CharField(max_length=254, blank=True)
    confirmation = models.CharField(max_length=300, blank=True)
    dependents = models.JSONField(default=list, blank=True,
                                  help_text="Successor items: the accounts that depend on the leaving administrator.")

    class Meta:
        ordering = ["sort", "due_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="uniq_checklist_item_key")]
        indexes = [models.Index(fields=["organization", "status"], name="offb_item_org_status")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.case.staff_member})"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.HELD)


class RoleWatermark(models.Model):
    """The job role last evaluated for a person: a change since then is a move (movers)."""

    staff_member = models.OneToOneField("staff.StaffMember", on_delete=models.CASCADE, primary_key=True,
                                        related_name="role_watermark")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    job_role = models.CharField(max_length=40)
    evaluated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.staff_member_id}: {self.job_role}"


class ExternalRecertification(models.Model):
    """A payer's own re-certification date for one portal account, or for the whole enrollment
    (portal_account empty): Palmetto/CGS 360 days, NGS 365, Noridian yearly, CMS IDM annual."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="external_recertifications")
    enrollment = models.ForeignKey("carriers.PortalEnrollment", on_delete=models.CASCADE,
                                   related_name="external_recertifications")
    portal_account = models.ForeignKey("access.PortalAccount", null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="external_recertifications")
    last_certified_on = models.DateField(null=True, blank=True)
    due_on = models.DateField()
    notes = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "portal_account"], name="uniq_recert_per_account",
                                    condition=Q(portal_account__isnull=False)),
            models.UniqueConstraint(fields=["enrollment"], name="uniq_recert_per_enrollment",
                                    condition=Q(portal_account__isnull=True)),
        ]

    def __str__(self):
        return f"Re-certification of {self.portal_account or self.enrollment} due {self.due_on}"


class Notice(models.Model):
    """An e-mail offboarding sent. Unique per (organization, kind, key, recipient): a job run twice,
    or again after a crash, never sends the same notice twice."""

    class Kind(models.TextChoices):
        LEAVER = "leaver", "Leaver: deactivate now"
        ESCALATION = "escalation", "Overdue deactivation escalated"
        REMINDER = "reminder", "Credential and re-certification reminders"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=120)
    recipient = models.EmailField()
    subject = models.CharField(max_length=300)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "kind", "key", "recipient"],
                                               name="uniq_offboarding_notice")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient}"
