"""Reads for the trend charts and the multi-practice summary, each in a fixed number of queries."""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import Membership

from .charts import Series
from .figures import FIGURES
from .models import ComplianceSnapshot

TREND_DAYS = 90
SUMMARY_DAYS = 30


def snapshots_since(organization, days: int = TREND_DAYS) -> list[ComplianceSnapshot]:
    since = timezone.localdate() - datetime.timedelta(days=days)
    return list(ComplianceSnapshot.objects.filter(organization=organization, day__gte=since).order_by("day"))


def series_for(snapshots, key: str, label: str) -> Series:
    return Series(label, [(s.day, s.figures.get(key)) for s in snapshots])


def summary_rows(user, *, sort: str = "organization", descending: bool = False) -> list[dict]:
    """One row per organization the person has a role in, with its latest figures and 30-day trend."""
    memberships = list(Membership.objects.filter(user=user).select_related("organization"))
    orgs = {m.organization_id: m for m in memberships}
    since = timezone.localdate() - datetime.timedelta(days=SUMMARY_DAYS)
    history: dict[int, list[ComplianceSnapshot]] = {pk: [] for pk in orgs}
    for snap in (ComplianceSnapshot.objects.filter(organization_id__in=orgs, day__gte=since)
                 .order_by("organization_id", "day")):
        history[snap.organization_id].append(snap)
    rows = []
    for pk, membership in orgs.items():
        snaps = history[pk]
        latest = snaps[-1] if snaps else None
        rows.append({
            "organization": membership.organization, "role": membership.get_role_display(),
            "as_of": latest.day if latest else None,
            "figures": {f.key: (latest.figures.get(f.key) if latest else None) for f in FIGURES},
            "trend": [(s.day, (s.figures.get("findings_critical") or 0) + (s.figures.get("findings_high") or 0))
                      for s in snaps],
        })
    keys = {f.key for f in FIGURES}
    if sort in keys:
        # Organizations without the figure sort last whichever the direction.
        present = sorted((r for r in rows if r["figures"][sort] is not None),
                         key=lambda r: (r["figures"][sort], r["organization"].legal_name), reverse=descending)
        rows = present + sorted((r for r in rows if r["figures"][sort] is None),
                                key=lambda r: r["organization"].legal_name)
    else:
        rows.sort(key=lambda r: r["organization"].legal_name.lower(), reverse=descending)
    return rows
