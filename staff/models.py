"""The practice roster: people (not logins), their job roles and employment, and who administers
each portal enrollment."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from .validators import validate_person_name


class JobRole(models.TextChoices):
    """What a person does at the practice (not their app role in PortalGov)."""

    FRONT_DESK = "front_desk", "Front desk"
    BILLING_SPECIALIST = "billing_specialist", "Billing specialist"
    BILLING_MANAGER = "billing_manager", "Billing manager"
    PRIOR_AUTH_COORDINATOR = "prior_auth_coordinator", "Prior-authorization coordinator"
    CODER = "coder", "Coder"
    PRACTICE_MANAGER = "practice_manager", "Practice manager"
    CLINICIAN = "clinician", "Clinician"
    CREDENTIALING = "credentialing_specialist", "Credentialing specialist"


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_LEAVE = "on_leave", "On leave"
    TERMINATED = "terminated", "Terminated"


class StaffMember(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="staff_members")
    full_name = models.CharField(max_length=200, validators=[validate_person_name])
    work_email = models.EmailField("work e-mail")
    job_role = models.CharField(max_length=40, choices=JobRole.choices)
    employment_status = models.CharField(
        max_length=20, choices=EmploymentStatus.choices, default=EmploymentStatus.ACTIVE, db_index=True
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="Last day of employment, if known.")
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff_records",
        help_text="The PortalGov login of this person, if they have one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name", "pk"]
        constraints = [
            models.UniqueConstraint("organization", Lower("work_email"), name="uniq_staff_email_per_org"),
            models.UniqueConstraint(
                fields=["organization", "user"], condition=models.Q(user__isnull=False), name="uniq_staff_user_per_org"
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def is_active(self) -> bool:
        return self.employment_status == EmploymentStatus.ACTIVE


class EnrollmentAdministrator(models.Model):
    """A staff member who administers the practice's registration on a portal (primary or backup):
    they create and remove the users there, so provisioning tasks land in their queue."""

    class AdminRole(models.TextChoices):
        PRIMARY = "primary", "Primary"
        BACKUP = "backup", "Backup"

    enrollment = models.ForeignKey("carriers.PortalEnrollment", on_delete=models.CASCADE, related_name="administrators")
    staff_member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="administered_enrollments")
    role = models.CharField(max_length=10, choices=AdminRole.choices, default=AdminRole.PRIMARY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enrollment", "role", "staff_member__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "staff_member"], name="uniq_admin_per_enrollment"),
        ]

    def __str__(self):
        return f"{self.staff_member} ({self.get_role_display()}) on {self.enrollment}"
