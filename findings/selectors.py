from .models import Finding


def findings_list(*, organization, state: str = "open", rule: str = "", severity: str = ""):
    qs = (Finding.objects.filter(organization=organization)
          .select_related("staff_member", "portal_account__enrollment__portal", "enrollment__portal", "credential"))
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
