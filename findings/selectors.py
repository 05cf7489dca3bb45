from django.db.models import Case, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce, Greatest

from .models import SYSTEM_PREFIX, EvaluationMark, Finding


def last_seen_expression():
    """A finding's last_seen as the pages and the API show it: for an open finding the rules manage, the
    organization's last evaluation (which saw it; findings.models.EvaluationMark) if later than the stored
    value; otherwise the stored value (written when opened, raised again or resolved). No extra query."""
    mark = Subquery(EvaluationMark.objects.filter(organization_id=OuterRef("organization_id")).values("evaluated_at"))
    return Case(
        When(Q(resolved_at__isnull=True) & ~Q(key__startswith=SYSTEM_PREFIX),
             then=Greatest(F("last_seen"), Coalesce(mark, F("last_seen")))),
        default=F("last_seen"))


def findings_list(*, organization, state: str = "open", rule: str = "", severity: str = ""):
    """Each finding carries seen_through: its last_seen as shown (last_seen_expression)."""
    qs = (Finding.objects.filter(organization=organization)
          .select_related("staff_member", "portal_account__enrollment__portal", "enrollment__portal", "credential")
          .annotate(seen_through=last_seen_expression()))
    if state == "open":
        qs = qs.filter(resolved_at__isnull=True)
    elif state == "resolved":
        qs = qs.filter(resolved_at__isnull=False)
    if rule:
        qs = qs.filter(rule=rule)
    if severity:
        qs = qs.filter(severity=severity)
    return qs.order_by("resolved_at", "severity_rank", "-first_seen", "pk")


def open_counts(organization) -> dict:
    from django.db.models import Count

    rows = (Finding.objects.filter(organization=organization, resolved_at__isnull=True)
            .values("severity").annotate(n=Count("pk")))
    return {r["severity"]: r["n"] for r in rows}
