"""Carriers, portals, reach, MAC jurisdictions, contracts and portal enrollments.

Reference rows (carriers, portals, reach, account rules, MAC jurisdictions) have
organization=NULL and a `reference_key`; `load_directory` owns them and updates them from
carriers/reference_data/. Rows with an organization are that practice's own (custom carriers
and portals, contracts, enrollments) and the loader never touches them. A practice's own notes
about a reference portal (its downtime steps, its support line) live on its PortalEnrollment,
so a reload cannot overwrite them.

Enrollment administrators (primary/backup portal administrators, who are staff members) live in
the staff app (staff.EnrollmentAdministrator, FK to PortalEnrollment with
related_name="administrators"), so carriers does not depend on staff.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts.validators import US_STATES, validate_npi, validate_ptan, validate_tin


class Verification(models.TextChoices):
    VERIFIED = "verified", "Verified"
    PARTIALLY_VERIFIED = "partially_verified", "Partially verified"
    UNVERIFIED = "unverified", "Unverified"


class LineOfBusiness(models.TextChoices):
    COMMERCIAL = "commercial", "Commercial"
    MEDICARE = "medicare", "Medicare fee-for-service"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    MEDICAID = "medicaid", "Medicaid fee-for-service"
    MEDICAID_MANAGED_CARE = "medicaid_managed_care", "Medicaid managed care"
    WORKERS_COMP = "workers_comp", "Workers' compensation"
    TRICARE = "tricare", "TRICARE"
    OTHER = "other", "Other"


class MacType(models.TextChoices):
    AB = "ab", "Part A/B"
    DME = "dme", "DME"
    HHH = "hhh", "Home health & hospice"
    RAILROAD = "railroad", "Railroad Medicare"


def validate_state_list(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("Give a list of two-letter state codes.")
    bad = [str(s) for s in value if str(s).upper() not in US_STATES]
    if bad:
        raise ValidationError(
            "Not a US state, DC or territory code: %(codes)s.", code="state_code",
            params={"codes": ", ".join(bad)},
        )


class SourcedMixin(models.Model):
    """Where a reference fact comes from and how far it has been confirmed."""

    source = models.TextField(blank=True, help_text="Public pages that back this row.")
    verification = models.CharField(
        max_length=24, choices=Verification.choices, default=Verification.UNVERIFIED
    )
    as_of = models.DateField(null=True, blank=True, help_text="Date of the source consulted.")
    last_verified = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True


class PortalFunction(models.Model):
    """Something staff do on a portal (eligibility, claim status, ERA...), with its sensitivity."""

    class Sensitivity(models.TextChoices):
        STANDARD = "standard", "Standard (patient data for daily work)"
        FINANCIAL = "financial", "Financial (billing desk only)"
        ADMINISTRATIVE = "administrative", "Administrative (portal administrators only)"

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    sensitivity = models.CharField(max_length=20, choices=Sensitivity.choices, default=Sensitivity.STANDARD)
    description = models.TextField(blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class Carrier(SourcedMixin):
    """A payer. organization=NULL: reference carrier; otherwise a practice's own carrier."""

    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="carriers"
    )
    reference_key = models.SlugField(max_length=80, blank=True)
    name = models.CharField(max_length=200)
    payer_ids = models.CharField(max_length=200, blank=True, help_text="Electronic payer IDs, comma separated.")
    lines_of_business = models.JSONField(default=list, blank=True)
    mac_type = models.CharField(
        max_length=12, choices=MacType.choices, blank=True,
        help_text="Set for Medicare fee-for-service: contracts map to the MAC of each state billed.",
    )
    provider_services_phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Reference rows dropped from the dataset are retired, not deleted.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_key"], condition=Q(organization__isnull=True), name="uniq_reference_carrier"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_reference(self) -> bool:
        return self.organization_id is None


class Portal(SourcedMixin):
    """A website where staff transact with carriers. organization=NULL: reference portal;
    otherwise a custom portal the practice added (regional, Medicaid, workers' comp...)."""

    class Architecture(models.TextChoices):
        HUB = "hub", "Multi-payer hub"
        STANDALONE = "standalone", "Standalone payer portal"
        MAC = "mac", "Medicare MAC portal"
        MEDICAID = "medicaid", "State Medicaid portal"
        WORKERS_COMP = "workers_comp", "Workers' compensation portal"

    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="custom_portals"
    )
    reference_key = models.SlugField(max_length=80, blank=True)
    name = models.CharField(max_length=200)
    architecture = models.CharField(max_length=20, choices=Architecture.choices)
    operator = models.CharField(max_length=200, blank=True)
    url = models.URLField("direct URL", max_length=500, blank=True, help_text="Blank only for reference rows whose URL is unconfirmed.")
    url_note = models.CharField(max_length=300, blank=True, help_text="e.g. 'login path unverified'.")
    states = models.JSONField(default=list, blank=True, help_text="States served; empty means nationwide.")
    support_phone = models.CharField(max_length=40, blank=True)
    downtime_protocol = models.TextField(blank=True, help_text="Default steps when the portal is down.")
    functions = models.ManyToManyField(PortalFunction, blank=True, related_name="portals")
    carriers_note = models.TextField(blank=True, help_text="Carriers reached, as the source words it.")
    functions_note = models.TextField(blank=True, help_text="Functions offered, as the source words it.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference_key"], condition=Q(organization__isnull=True), name="uniq_reference_portal"
            ),
            models.UniqueConstraint(
                fields=["organization", "name"], condition=Q(organization__isnull=False), name="uniq_custom_portal_name"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_reference(self) -> bool:
        return self.organization_id is None


class PortalAccountRule(SourcedMixin):
    """One credential or administrator rule of a portal, kept as data with its source."""

    class Kind(models.TextChoices):
        PASSWORD_LIFETIME_DAYS = "password_lifetime_days", "Password lifetime (days)"
        INACTIVITY_LOCKOUT_DAYS = "inactivity_lockout_days", "Locked/disabled after inactivity (days)"
        INACTIVITY_DELETION_DAYS = "inactivity_deletion_days", "Deleted after inactivity (days)"
        SESSION_TIMEOUT_MINUTES = "session_timeout_minutes", "Session time-out (minutes)"
        MFA = "mfa", "Multi-factor authentication"
        RECERT_INTERVAL_DAYS = "recert_interval_days", "External re-certification interval (days)"
        RECERT_WINDOW_DAYS = "recert_window_days", "Re-certification window (days)"
        ADMIN_ROLE_NAME = "admin_role_name", "Administrator role name"
        MAX_ADMINISTRATORS = "max_administrators", "Most administrators allowed"
        MAX_PRIMARY_ADMINISTRATORS = "max_primary_administrators", "Most primary administrators allowed"
        MIN_ADMINISTRATORS = "min_administrators", "Fewest administrators recommended"
        REQUIRED_TRAINING = "required_training", "Required portal training"
        OTHER = "other", "Other rule"
        # Said plainly for a portal whose operator publishes no rules we could find (with the date checked).
        NOT_PUBLISHED = "not_published", "No rules published"

    NUMERIC_KINDS = frozenset({
        Kind.PASSWORD_LIFETIME_DAYS, Kind.INACTIVITY_LOCKOUT_DAYS, Kind.INACTIVITY_DELETION_DAYS,
        Kind.SESSION_TIMEOUT_MINUTES, Kind.RECERT_INTERVAL_DAYS, Kind.RECERT_WINDOW_DAYS,
        Kind.MAX_ADMINISTRATORS, Kind.MAX_PRIMARY_ADMINISTRATORS, Kind.MIN_ADMINISTRATORS,
    })  # fmt: skip

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="account_rules")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    value = models.CharField(max_length=300, help_text="As the source states it, e.g. '5 per TIN'.")
    number = models.PositiveIntegerField(null=True, blank=True, help_text="The figure, for numeric rules.")
    scope = models.CharField(max_length=100, blank=True, help_text="e.g. 'per TIN', 'per organization'.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["portal__name", "kind"]
        constraints = [models.UniqueConstraint(fields=["portal", "kind"], name="uniq_rule_per_portal")]

    def __str__(self):
        return f"{self.portal}: {self.get_kind_display()} = {self.value}"


class PortalReach(SourcedMixin):
    """Which carrier's business can be done on which portal, for which functions."""

    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="portal_reaches"
    )
    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="reaches")
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="reaches")
    functions = models.ManyToManyField(PortalFunction, blank=True, related_name="reaches")
    lines_of_business = models.JSONField(default=list, blank=True, help_text="Empty means every line.")
    notes = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "portal reach"
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "portal"], condition=Q(organization__isnull=True), name="uniq_reference_reach"
            ),
            models.UniqueConstraint(
                fields=["organization", "carrier", "portal"], condition=Q(organization__isnull=False),
                name="uniq_custom_reach",
            ),
        ]

    def __str__(self):
        return f"{self.carrier} on {self.portal}"


class MacJurisdiction(SourcedMixin):
    """A Medicare Administrative Contractor jurisdiction (A/B, DME, HH+H or Railroad)."""

    code = models.CharField(max_length=16, unique=True)
    jurisdiction_type = models.CharField(max_length=12, choices=MacType.choices)
    contractor = models.CharField(max_length=200)
    portal = models.ForeignKey(Portal, null=True, blank=True, on_delete=models.SET_NULL, related_name="jurisdictions")
    nationwide = models.BooleanField(default=False, help_text="Railroad Medicare: every state.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["jurisdiction_type", "code"]

    def __str__(self):
        return f"{self.code} ({self.contractor})"


class MacCoverage(models.Model):
    """One state (or, for Virginia Part B, some counties of it) served by a jurisdiction.

    part: blank = every part; "B" = Part B only. counties: empty = the whole state; otherwise
    these counties/independent cities win over the whole-state row for that part.
    """

    jurisdiction = models.ForeignKey(MacJurisdiction, on_delete=models.CASCADE, related_name="coverage")
    state = models.CharField(max_length=2)
    part = models.CharField(max_length=1, blank=True, choices=[("", "All parts"), ("A", "Part A"), ("B", "Part B")])
    counties = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["state", "jurisdiction__code"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "state", "part"], name="uniq_mac_coverage"),
        ]

    def __str__(self):
        return f"{self.state} -> {self.jurisdiction.code}"


class Contract(models.Model):
    """The practice's contract with a carrier for one line of business."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="contracts")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="contracts")
    line_of_business = models.CharField(max_length=32, choices=LineOfBusiness.choices)
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    states = models.JSONField(
        default=list, blank=True, validators=[validate_state_list],
        help_text="States the contract covers; empty means every state the practice bills in.",
    )
    provider_services_phone = models.CharField(
        max_length=40, blank=True, help_text="The carrier's provider-services line for this contract: the fallback when portals are down."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["carrier__name", "line_of_business", "effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "carrier", "line_of_business", "effective_date"], name="uniq_contract"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("effective_date")),
                name="contract_end_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.carrier} ({self.get_line_of_business_display()})"

    def is_current(self, on) -> bool:
        return self.effective_date <= on and (self.end_date is None or self.end_date >= on)


class PortalEnrollment(models.Model):
    """The organization's own registration on a portal, with the identifiers used.

    Its primary and backup portal administrators (staff members) are recorded in the staff
    app (staff.EnrollmentAdministrator -> enrollment, related_name="administrators").
    The practice's own downtime steps and support line for this portal live here too, so a
    reference-data reload never overwrites them.
    """

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        REGISTERED = "registered", "Registered"
        SUSPENDED = "suspended", "Suspended"
        CLOSED = "closed", "Closed"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="portal_enrollments")
    portal = models.ForeignKey(Portal, on_delete=models.PROTECT, related_name="enrollments")
    tin = models.CharField("TIN used", max_length=10, blank=True, validators=[validate_tin])
    npi = models.CharField("NPI used", max_length=10, blank=True, validators=[validate_npi])
    ptan = models.CharField("PTAN used", max_length=10, blank=True, validators=[validate_ptan])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    started_on = models.DateField(null=True, blank=True)
    registered_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    downtime_protocol = models.TextField(blank=True, help_text="This practice's steps when the portal is down.")
    support_phone = models.CharField(max_length=40, blank=True, help_text="This practice's support line, if different.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["portal__name", "tin", "npi", "ptan"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "portal", "tin", "npi", "ptan"], name="uniq_enrollment"),
        ]

    def __str__(self):
        ids = " / ".join(x for x in (self.tin, self.npi, self.ptan) if x)
        return f"{self.portal} ({ids})" if ids else str(self.portal)

    @property
    def is_active(self) -> bool:
        """Active means registered: the practice can sign in and administer users there."""
        return self.status == self.Status.REGISTERED
