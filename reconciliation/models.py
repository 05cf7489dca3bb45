"""Reconciliation: a portal's own user list compared with the portal accounts PortalGov records.

PortalGov is the system of record, but the truth lives on the portals. Drift between the two is where
shared logins and forgotten leavers hide: accounts on the portal PortalGov does not know (orphans),
accounts PortalGov has that the portal no longer lists (missing), and mismatches.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

# What a user-list column can mean; user_id is the only one required.
FIELDS = {
    "user_id": "Portal user ID",
    "full_name": "Holder name",
    "email": "E-mail",
    "status": "Status",
    "last_login": "Last login",
    "functions": "Functions / roles",
    "tin": "TIN",
}


class UserListMapping(models.Model):
    """Which column of a portal's user list means what, saved per portal so the next upload is one click."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    portal = models.ForeignKey("carriers.Portal", on_delete=models.CASCADE, related_name="+")
    columns = models.JSONField(default=dict, help_text="field -> column header, e.g. {'user_id': 'User ID'}.")
    ignored = models.JSONField(default=list, help_text="Headers deliberately left out of the comparison.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "portal"], name="uniq_userlist_mapping")]

    def __str__(self):
        return f"User-list columns for {self.portal}"


class ReconciliationPolicy(models.Model):
    """How long a difference may stay unresolved before it becomes a finding."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    unresolved_limit_days = models.PositiveSmallIntegerField(default=30)

    def __str__(self):
        return f"{self.organization}: {self.unresolved_limit_days} days"


class UserListUpload(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    enrollment = models.ForeignKey("carriers.PortalEnrollment", on_delete=models.CASCADE, related_name="user_lists")
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.filename} ({self.enrollment.portal}, {self.uploaded_at:%Y-%m-%d})"


class Difference(models.Model):
    class Kind(models.TextChoices):
        ORPHAN = "orphan", "On the portal, unknown to PortalGov"
        MISSING = "missing", "In PortalGov, not on the portal"
        MISMATCH = "mismatch", "Recorded differently"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ESCALATED = "escalated", "Raised as a finding"
        RESOLVED = "resolved", "Resolved"

    class Resolution(models.TextChoices):
        LINKED = "linked", "Linked to a person"
        DEACTIVATED = "deactivated", "Recorded as deactivated on the portal"
        TASK_OPENED = "task_opened", "Task opened"
        FINDING_RAISED = "finding_raised", "Raised as a finding"
        ACCEPTED = "accepted", "Accepted with a reason"
        CLEARED = "cleared", "Gone from a later user list"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    enrollment = models.ForeignKey("carriers.PortalEnrollment", on_delete=models.CASCADE,
                                   related_name="reconciliation_differences")
    upload = models.ForeignKey(UserListUpload, on_delete=models.CASCADE, related_name="differences",
                               help_text="The latest user list that showed it.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=200, help_text="kind:user ID, so the next list finds the same difference.")
    portal_user_id = models.CharField(max_length=150)
    portal_account = models.ForeignKey("access.PortalAccount", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    listed = models.JSONField(default=dict, help_text="The row as the portal listed it (mapped fields only).")
    details = models.JSONField(default=list, help_text="[{'field', 'portal', 'portalgov'}] for mismatches.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "portal_user_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "key"], condition=~models.Q(status="resolved"),
                                    name="uniq_unresolved_difference"),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="difference_org_status")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.portal_user_id}"

    @property
    def summary(self) -> str:
        if self.kind != self.Kind.MISMATCH:
            return self.get_kind_display()
        return "; ".join(f"{d['label']}: portal {d['portal'] or '—'}, PortalGov {d['portalgov'] or '—'}"
                         for d in self.details)
