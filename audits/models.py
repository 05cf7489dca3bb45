"""The audit trail. Append-only: rows are never updated or deleted by the application."""

from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """Who did what to what, when, from where, with what change.

    The object and the organization are kept as identifiers and labels, not foreign keys, so
    deleting anything never cascades into the log.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_type = models.CharField(max_length=16)  # user | api | job | system | anonymous
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    organization_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["organization_id", "-occurred_at"], name="audit_org_time")]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_label}"
