"""Taking the daily snapshot: idempotent (a second run the same day replaces that day's figures)."""

import datetime

from django.db import transaction
from django.utils import timezone

from .figures import compute_figures
from .models import ComplianceSnapshot


@transaction.atomic
def snapshot_take(*, organization, day: datetime.date | None = None) -> ComplianceSnapshot:
    day = day or timezone.localdate()
    snapshot, _ = ComplianceSnapshot.objects.update_or_create(
        organization=organization, day=day,
        defaults={"figures": compute_figures(organization, day), "taken_at": timezone.now()})
    return snapshot
