"""API credentials: an organization's integrations (HR system, identity provider, auditor's tool).

The token is shown once; only its public key id and the SHA-256 of its secret part are stored.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiCredential(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="api_credentials")
    name = models.CharField(max_length=100, help_text="Which system uses it, e.g. “HR system (BambooHR)”.")
    # App permissions (accounts.roles constants) the credential carries; never more than these.
    permissions = models.JSONField(default=list)
    key_id = models.CharField("key id", max_length=16, unique=True, help_text="Public part of the token.")
    secret_hash = models.CharField(max_length=64, help_text="SHA-256 (hex) of the token's secret part.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], condition=models.Q(revoked_at__isnull=True),
                                    name="uniq_live_api_credential_name"),
        ]

    def __str__(self):
        return f"api:{self.name}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"
