"""The headline figures, defined once: what each means, how it is computed, and the list behind it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    url_name: str  # the list behind the figure
    query: str = ""  # appended to the list's URL
    bad_when_up: bool = True
    unit: str = ""


FIGURES = [
    Figure("findings_critical", "Critical findings", "findings", "?severity=critical"),
    Figure("findings_high", "High findings", "findings", "?severity=high"),
    Figure("findings_open", "Open findings", "findings"),
    Figure("tasks_overdue", "Overdue provisioning and deactivation tasks", "tasks"),
    Figure("review_percent", "Current access review decided", "reviews_history", bad_when_up=False, unit="%"),
    Figure("portals_without_two_administrators", "Portals without two active administrators", "directory"),
    Figure("accounts_near_lockout", "Accounts near the portal's inactivity lock-out", "matrix"),
    Figure("training_coverage", "Account holders with current training", "training_modules", bad_when_up=False,
           unit="%"),
    Figure("reconciliation_open", "Unresolved user-list differences", "reconciliation"),
]
BY_KEY = {f.key: f for f in FIGURES}
NEAR_LOCKOUT_DAYS = 14  # "near": within this many days of the portal's inactivity rule


def figure_url(figure: Figure, org_slug: str) -> str:
    return reverse(figure.url_name, kwargs={"org_slug": org_slug}) + figure.query


def compute_figures(organization, today: datetime.date) -> dict:
    """Every headline figure for one organization, in a fixed number of queries."""
    from access.models import LIVE_STATUSES, PortalAccount, ProvisioningTask
    from carriers.models import PortalAccountRule, PortalEnrollment
    from findings.models import Finding
    from reconciliation.models import Difference
    from reviews.models import ReviewCampaign
    from reviews.selectors import campaign_progress
    from staff.models import EmploymentStatus
    from training.selectors import CURRENT, NONE_REQUIRED, active_modules, live_training_status

    out: dict = {}
    by_severity = dict(Finding.objects.filter(organization=organization, resolved_at__isnull=True)
                       .values_list("severity").annotate(n=Count("pk")))
    for severity in ("critical", "high", "medium", "low"):
        out[f"findings_{severity}"] = by_severity.get(severity, 0)
    out["findings_open"] = sum(by_severity.values())
    out["findings_by_rule"] = dict(Finding.objects.filter(organization=organization, resolved_at__isnull=True)
                                   .values_list("rule").annotate(n=Count("pk")))
    out["tasks_overdue"] = ProvisioningTask.objects.filter(
        organization=organization, status=ProvisioningTask.Status.OPEN, due_on__lt=today).count()
    campaign = (ReviewCampaign.objects.filter(organization=organization, status=ReviewCampaign.Status.OPEN)
                .order_by("-period_start").first())
    out["review_percent"] = campaign_progress(campaign)["percent"] if campaign else None
    out["portals_without_two_administrators"] = (
        PortalEnrollment.objects.filter(organization=organization, status=PortalEnrollment.Status.REGISTERED)
        .annotate(n=Count("administrators", filter=Q(
            administrators__staff_member__employment_status=EmploymentStatus.ACTIVE)))
        .filter(n__lt=2).count())
    lockouts = dict(PortalAccountRule.objects.filter(kind=PortalAccountRule.Kind.INACTIVITY_LOCKOUT_DAYS,
                                                     number__isnull=False).values_list("portal_id", "number"))
    live = list(PortalAccount.objects.filter(organization=organization, status__in=LIVE_STATUSES)
                .values_list("pk", "enrollment__portal_id", "last_login_attested"))
    out["accounts_live"] = len(live)
    near = 0
    for _pk, portal_id, last_login in live:
        days = lockouts.get(portal_id)
        if days and last_login and (today - last_login).days >= max(days - NEAR_LOCKOUT_DAYS, 0):
            near += 1
    out["accounts_near_lockout"] = near
    modules = active_modules(organization)
    if modules and live:
        # The untrained-holder rule of this hygiene run already read these requirements (hygiene.memo).
        status = live_training_status(organization, today=today, modules=modules)
        ok = sum(1 for s in status.values() if s in (CURRENT, NONE_REQUIRED))
        out["training_coverage"] = round(100 * ok / len(status))
    else:
        out["training_coverage"] = None
    out["reconciliation_open"] = Difference.objects.filter(organization=organization).exclude(
        status=Difference.Status.RESOLVED).count()
    return out
