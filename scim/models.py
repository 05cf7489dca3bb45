"""What SCIM needs beyond the roster: the identity provider's own attributes of a person, and each
practice's mapping from the identity provider's job titles to PortalGov job roles."""

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from staff.models import JobRole


class ScimIdentity(models.Model):
    """The SCIM attributes of one staff member that the roster does not keep. A person on the roster
    is a SCIM User whether or not this row exists (it is made on the first SCIM write)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    staff_member = models.OneToOneField("staff.StaffMember", on_delete=models.CASCADE, related_name="scim_identity")
    external_id = models.CharField(max_length=200, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=100, blank=True, help_text="The identity provider's job title.")
    employee_number = models.CharField(max_length=64, blank=True)
    department = models.CharField(max_length=100, blank=True)
    # DELETE keeps the roster record (history, the leaver's checklist) but the User is gone for SCIM.
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "SCIM identities"

    def __str__(self):
        return f"SCIM identity of {self.staff_member}"


class JobTitleMapping(models.Model):
    """A job title as the identity provider sends it (SCIM "title") -> the PortalGov job role."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="scim_title_mappings")
    title = models.CharField(max_length=100)
    job_role = models.CharField(max_length=40, choices=JobRole.choices)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint("organization", Lower("title"), name="uniq_scim_title_per_org")]

    def __str__(self):
        return f"{self.title} -> {self.get_job_role_display()}"
