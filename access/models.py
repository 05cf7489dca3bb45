"""Who may hold what (access policy), and who holds what (portal accounts), with the work queue
and the exceptions that keep them so. Portal passwords are never stored: only a reference to the
password-manager entry where the password lives."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from staff.models import JobRole


class AccessPolicy(models.Model):
    """One job role's allowed portal functions in one organization. Without a row, the shipped
    default for that role applies (access.policy.DEFAULT_POLICY)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="access_policies")
    job_role = models.CharField(max_length=40, choices=JobRole.choices)
    functions = models.ManyToManyField("carriers.PortalFunction", blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name_plural = "access policies"
        constraints = [models.UniqueConstraint(fields=["organization", "job_role"], name="uniq_policy_role_per_org")]

    def __str__(self):
        return f"{self.organization}: {self.get_job_role_display()}"


class AccountStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    DEACTIVATION_PENDING = "deactivation_pending", "Deactivation pending"
    DEACTIVATED = "deactivated", "Deactivated"


# Statuses in which a login may still work on the payer side.
LIVE_STATUSES = (AccountStatus.REQUESTED, AccountStatus.ACTIVE, AccountStatus.SUSPENDED,
                 AccountStatus.DEACTIVATION_PENDING)


class PortalAccount(models.Model):
    """One staff member's own login on one portal enrollment."""

    class Source(models.TextChoices):
        WIZARD = "wizard", "Provisioning wizard"
        MANUAL = "manual", "Recorded by hand"
        IMPORT = "import", "Imported existing data"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="portal_accounts")
    staff_member = models.ForeignKey("staff.StaffMember", on_delete=models.PROTECT, related_name="portal_accounts")
    enrollment = models.ForeignKey("carriers.PortalEnrollment", on_delete=models.PROTECT, related_name="portal_accounts")
    portal_user_id = models.CharField("portal user ID", max_length=150, blank=True,
                                      help_text="The login name on the portal. Blank until the account exists.")
    functions = models.ManyToManyField("carriers.PortalFunction", blank=True, related_name="portal_accounts")
    status = models.CharField(max_length=24, choices=AccountStatus.choices, default=AccountStatus.REQUESTED,
                              db_index=True)
    password_reference = models.CharField(
        "password-manager reference", max_length=300, blank=True,
        help_text="Where the password lives, e.g. 'op://Billing/Availity - J. Doe'. Never the password itself.",
    )
    mfa_enrolled = models.BooleanField("MFA enrolled", default=False)
    password_last_changed = models.DateField(null=True, blank=True)
    last_login_attested = models.DateField("last login (as attested)", null=True, blank=True)
    provisioned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    provisioned_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["staff_member__full_name", "enrollment__portal__name", "pk"]
        indexes = [models.Index(fields=["organization", "status"], name="acct_org_status")]

    def __str__(self):
        who = self.portal_user_id or "(no user ID yet)"
        return f"{who} on {self.enrollment.portal.name}"


class OrganizationCredential(models.Model):
    """A login that belongs to the practice, not to a person (clearinghouse SFTP, submitter ID).
    Kept outside the one-person rule; named custodians; rotated when a custodian leaves."""

    class Kind(models.TextChoices):
        CLEARINGHOUSE_SFTP = "clearinghouse_sftp", "Clearinghouse SFTP"
        SUBMITTER = "submitter", "Submitter / trading-partner login"
        API = "api", "API or system integration"
        OTHER = "other", "Other organization login"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="organization_credentials")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    label = models.CharField(max_length=200)
    enrollment = models.ForeignKey("carriers.PortalEnrollment", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="organization_credentials")
    login_id = models.CharField("login ID", max_length=150)
    password_reference = models.CharField("password-manager reference", max_length=300, blank=True)
    custodians = models.ManyToManyField("staff.StaffMember", blank=True, related_name="custodied_credentials")
    rotated_on = models.DateField(null=True, blank=True)
    rotation_required = models.BooleanField(default=False)
    rotation_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]

    def __str__(self):
        return self.label


class ProvisioningTask(models.Model):
    """Work for a portal administrator: most portals have no provisioning API, so PortalGov is the
    system of record and whoever does the work records when and the payer-side confirmation."""

    class Kind(models.TextChoices):
        PROVISION = "provision", "Create account"
        CHANGE = "change", "Change functions"
        DEACTIVATE = "deactivate", "Deactivate account"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="provisioning_tasks")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    portal_account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey("staff.StaffMember", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_tasks", help_text="The portal administrator who does it.")
    functions = models.ManyToManyField("carriers.PortalFunction", blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    due_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    payer_confirmation = models.CharField(max_length=300, blank=True,
                                          help_text="Confirmation number or message from the portal.")

    class Meta:
        ordering = ["status", "due_on", "created_at", "pk"]
        indexes = [models.Index(fields=["organization", "status"], name="task_org_status")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.portal_account.staff_member} on {self.portal_account.enrollment.portal}"


class AccessException(models.Model):
    """A portal function held beyond the job role's policy, with a reason, an approver who is not
    the requester, and an expiry date."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="access_exceptions")
    portal_account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="exceptions")
    function = models.ForeignKey("carriers.PortalFunction", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.function} for {self.portal_account.staff_member} until {self.expires_on}"

    def is_live(self, today) -> bool:
        return self.approved_at is not None and self.revoked_at is None and self.expires_on >= today
