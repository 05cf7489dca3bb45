"""Logins, organizations (the tenant) and the app roles that join them."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin

from security.fields import EncryptedTextField

from .validators import (
    US_STATES,
    format_tin,
    normalize_tin,
    validate_npi,
    validate_ptan,
    validate_state_code,
    validate_tin,
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    """A PortalGov login. People sign in with their e-mail address."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        "platform operator",
        default=False,
        help_text="May use the Django admin for fix-ups and change job schedules.",
    )
    date_joined = models.DateTimeField(default=timezone.now)
    last_organization = models.ForeignKey(
        "Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


# The practice's time zone: pages show times in it, with its abbreviation (exports stay UTC).
TIME_ZONE_CHOICES = [
    ("America/New_York", "Eastern (New York)"), ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"), ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"), ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"), ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
    ("UTC", "UTC"),
]


class Organization(models.Model):
    """A medical practice: the tenant. Nobody sees another organization's data without a grant."""

    legal_name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True, help_text="Short name used in addresses, e.g. cascade-family.")
    tin = models.CharField("TIN (EIN)", max_length=10, validators=[validate_tin])
    billing_states = models.JSONField(
        default=list, blank=True, help_text="Two-letter codes of the states the practice bills in."
    )
    practice_state = models.CharField(
        max_length=2, blank=True, validators=[validate_state_code],
        help_text="State of the practice's main location (Medicare A/B follows provider location).",
    )
    practice_county = models.CharField(
        max_length=100, blank=True,
        help_text="County or independent city: needed in Virginia, where Part B splits by county.",
    )
    time_zone = models.CharField(max_length=40, choices=TIME_ZONE_CHOICES, default="America/New_York",
                                 help_text="Times on the pages are shown in this zone; exports are in UTC.")
    mfa_required_for_all = models.BooleanField(
        "require MFA for every role", default=False,
        help_text="Administrators and auditors always need MFA; this extends it to billing managers and staff.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]
        permissions = [
            ("manage_organization", "Edit the organization's profile and identifiers"),
            ("manage_members", "Grant and remove app roles"),
            ("manage_directory", "Edit contracts, portal enrollments and custom portals"),
            ("view_staff", "Read the staff roster"),
            ("manage_staff", "Edit the staff roster"),
            ("view_portal_accounts", "Read every portal account"),
            ("manage_portal_accounts", "Provision, change and deactivate portal accounts"),
            ("run_access_reviews", "Run quarterly access reviews"),
            ("view_audit_log", "Read the audit log"),
            ("export_audit_log", "Export the audit log and evidence"),
            ("view_findings", "Read findings"),
        ]

    def __str__(self):
        return self.legal_name

    def clean(self):
        from django.core.exceptions import ValidationError

        self.tin = normalize_tin(self.tin)
        if not isinstance(self.billing_states or [], list | tuple):  # JSON that is a number, a string or an object
            raise ValidationError({"billing_states": 'A list of state codes, e.g. ["WA", "OR"].'})
        bad = [s for s in self.billing_states or [] if str(s).upper() not in US_STATES]
        if bad:
            raise ValidationError(
                {"billing_states": f"Not a US state, DC or territory code: {', '.join(map(str, bad))}."}
            )
        self.billing_states = sorted({str(s).upper() for s in self.billing_states or []})

    @property
    def tin_display(self) -> str:
        return format_tin(self.tin)


class GroupNPI(models.Model):
    """A type 2 (organization) NPI of the practice."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="group_npis")
    npi = models.CharField("NPI", max_length=10, validators=[validate_npi])
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "group NPI"
        constraints = [
            models.UniqueConstraint(fields=["organization", "npi"], name="uniq_group_npi_per_org")
        ]

    def __str__(self):
        return self.npi


class MedicarePTAN(models.Model):
    """A Provider Transaction Access Number the MAC assigned to the practice."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="ptans")
    ptan = models.CharField("PTAN", max_length=10, validators=[validate_ptan])
    state = models.CharField(max_length=2, validators=[validate_state_code])
    npi = models.CharField("NPI", max_length=10, blank=True, validators=[validate_npi])

    class Meta:
        verbose_name = "Medicare PTAN"
        constraints = [
            models.UniqueConstraint(fields=["organization", "ptan"], name="uniq_ptan_per_org")
        ]

    def __str__(self):
        return f"{self.ptan} ({self.state})"


class PracticeLocation(models.Model):
    """An office of the practice besides its main location. Medicare A/B follows where care is given,
    so each office's state (and, where a jurisdiction splits, its county) picks its contractor."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=100, help_text="e.g. 'Fairfax office'.")
    state = models.CharField(max_length=2, validators=[validate_state_code])
    county = models.CharField(
        max_length=100, blank=True,
        help_text="County or independent city: needed where Part B splits by county (Northern Virginia).",
    )

    class Meta:
        ordering = ["state", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="uniq_location_name_per_org")]

    def __str__(self):
        where = f"{self.county}, {self.state}" if self.county else self.state
        return f"{self.name} ({where})"


class Role(models.TextChoices):
    """App roles: what a login may do in PortalGov for one organization (not a job role)."""

    ADMINISTRATOR = "administrator", "Administrator"
    BILLING_MANAGER = "billing_manager", "Billing manager"
    AUDITOR = "auditor", "Auditor"
    STAFF = "staff", "Staff"


class Membership(models.Model):
    """Gives one user one app role in one organization; the grants live in django-guardian."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_role_per_user_and_org")
        ]
        ordering = ["organization__legal_name"]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organization}"


class Invitation(models.Model):
    """An offer of an app role in one organization, which the person accepts or declines.

    A role is never put on a login without its owner's consent: the login may belong to another
    practice, whose administrators would lose the right to manage it (accounts.services
    login_managed_by_organization). Someone without a login yet gets one, with no password, and
    the same invitation.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=32, choices=Role.choices)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(null=True, help_text="True accepted, False declined, empty while waiting.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], condition=models.Q(answered_at__isnull=True),
                                    name="one_open_invitation_per_user_and_org"),
        ]
        ordering = ["-created_at"]

    def __str__(self):
        return f"invitation of {self.user} to {self.organization} as {self.get_role_display()}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.expires_at > timezone.now()


class TOTPDevice(ThrottlingMixin, Device):
    """An authenticator app (RFC 6238 TOTP) a user enrolled; the shared secret is encrypted at rest.

    Unconfirmed until the user typed one valid code during enrolment. One confirmed device per user.
    """

    secret = EncryptedTextField(help_text="Base32 TOTP secret (encrypted).")
    last_t = models.BigIntegerField(default=-1, help_text="Last time step accepted (stops replay).")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "TOTP device"

    def get_throttle_factor(self):
        return 1

    def verify_token(self, token):
        from .mfa import totp_matches

        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        step = totp_matches(self.secret, token, last_t=self.last_t)
        if step is None:
            self.throttle_increment(commit=True)
            return False
        self.last_t = step
        self.throttle_reset(commit=False)
        self.save(update_fields=["last_t", "throttling_failure_count", "throttling_failure_timestamp"])
        return True


class RecoveryCode(models.Model):
    """A one-time code for signing in without the authenticator; shown once, kept only as a one-way
    hash (accounts.mfa.hash_recovery_code), so neither a database dump nor the encryption keys reveal it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"recovery code #{self.pk} of {self.user}"
