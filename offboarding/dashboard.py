"""Dashboard cards: open leaver checklists (red when one is past its deadline)."""

from django.db.models import Count, Q
from django.utils import timezone

from accounts import roles

from .models import OffboardingCase


def offboarding_cards(organization, perms) -> list[dict]:
    if roles.VIEW_STAFF not in perms:
        return []
    row = OffboardingCase.objects.filter(organization=organization, completed_at__isnull=True).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=timezone.now())))
    tone = "bad" if row["overdue"] else ("warn" if row["open"] else "ok")
    label = "Leavers being offboarded" + (f" ({row['overdue']} overdue)" if row["overdue"] else "")
    return [{"label": label, "value": row["open"], "url_name": "offboarding_cases", "tone": tone}]
