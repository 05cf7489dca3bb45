from django.db import models


class RefusalBurst(models.Model):
    """Refused requests from one source (acting identity + client address) in one time window.

    The audit log is append-only and chained, so a scan must not write one event per refusal:
    the first refusal of a window is written in full, the rest only count here, and when the
    window is over one more event carries the total (security.access_audit.flush_refusal_bursts).
    Rows are working state, not evidence: reported ones are deleted after a day.
    """

    action = models.CharField(max_length=64)  # request.refused | api.authentication_failed
    source = models.CharField(max_length=100, help_text="user:<id>, api:<credential id> or anonymous")
    actor_label = models.CharField(max_length=254, blank=True, default="")
    address = models.CharField(max_length=64, blank=True, default="")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    organization_id = models.BigIntegerField(null=True, blank=True)
    first_event_id = models.BigIntegerField(null=True, blank=True)
    last_path = models.CharField(max_length=500, blank=True, default="")
    last_status = models.PositiveSmallIntegerField(default=0)
    last_seen = models.DateTimeField()
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "source", "address", "window_start"], name="one_burst_per_window"),
        ]
        indexes = [models.Index(fields=["reported_at", "window_start"], name="refusalburst_open")]

    def __str__(self):
        return f"{self.action} {self.source}@{self.address} {self.window_start:%Y-%m-%d %H:%M} ×{self.count}"
