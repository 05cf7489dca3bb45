"""Demo only: two months of daily figures so the charts have a history to show. Derived from today's
real figures with a gentle improvement over time (more open findings in the past); idempotent."""

import datetime

from django.utils import timezone

from .models import ComplianceSnapshot
from .services import snapshot_take

DAYS = 60


def seed_demo_trends(organization) -> None:
    today = snapshot_take(organization=organization).figures
    start = timezone.localdate() - datetime.timedelta(days=DAYS)
    for n in range(DAYS):
        day = start + datetime.timedelta(days=n)
        past = 1 - n / DAYS  # 1 two months ago, 0 today

        def more(key, extra, n=n, past=past):
            value = today.get(key)
            return None if value is None else value + round(extra * past + (n % 7 == 3))

        figures = {**today,
                   "findings_critical": more("findings_critical", 3), "findings_high": more("findings_high", 6),
                   "tasks_overdue": more("tasks_overdue", 4), "accounts_near_lockout": more("accounts_near_lockout", 3),
                   "portals_without_two_administrators": more("portals_without_two_administrators", 2)}
        figures["findings_open"] = (today.get("findings_open") or 0) + round(12 * past)
        if today.get("training_coverage") is not None:
            figures["training_coverage"] = max(today["training_coverage"] - round(30 * past), 0)
        if today.get("review_percent") is not None:
            figures["review_percent"] = min(round(today["review_percent"] * (1 - past) + 5 * (n % 30)), 100)
        ComplianceSnapshot.objects.get_or_create(organization=organization, day=day, defaults={"figures": figures})
