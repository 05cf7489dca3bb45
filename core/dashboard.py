"""The dashboard's cards: real counts for the current organization, each behind the permission
that lets the person see it. Each app adds its cards here as it grows."""

import datetime
from dataclasses import dataclass

from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.timesince import timesince, timeuntil

from accounts import roles
from accounts.models import Membership


class DashboardFacts:
    """What "needs you now" and the cards both show, read once per page: the latest audit-log verification,
    the person's waiting review items by campaign, and the practice's overdue campaigns (each was read twice,
    once for each part of the page)."""

    def __init__(self, organization, user, today: datetime.date | None = None):
        self.organization, self.user = organization, user
        self.today = today or timezone.localdate()

    @cached_property
    def latest_verification(self):
        from audits.selectors import latest_verification

        return latest_verification(self.organization.pk)

    @cached_property
    def waiting_reviews(self) -> list[dict]:
        """The person's undecided items in open campaigns, one row per campaign (n: how many)."""
        from django.db.models import Count

        from reviews.models import ReviewCampaign, ReviewItem

        return list(ReviewItem.objects.filter(organization=self.organization, reviewer=self.user, decision="",
                                              campaign__status=ReviewCampaign.Status.OPEN)
                    .values("campaign_id", "campaign__name", "campaign__due_on", "campaign__launched_at")
                    .annotate(n=Count("pk")).order_by("campaign__due_on", "campaign_id"))

    @property
    def waiting_reviews_count(self) -> int:
        return sum(row["n"] for row in self.waiting_reviews)

    @cached_property
    def overdue_campaigns(self) -> list:
        """The first open campaigns past their due date, each carrying the total (a window count)."""
        from django.db.models import Count, Window

        from reviews.models import ReviewCampaign

        return list(ReviewCampaign.objects.filter(organization=self.organization, status=ReviewCampaign.Status.OPEN,
                                                  due_on__lt=self.today)
                    .annotate(total=Window(Count("pk"))).order_by("due_on", "pk")[:NEEDS_PER_KIND])

    @property
    def overdue_campaigns_count(self) -> int:
        rows = self.overdue_campaigns
        return rows[0].total if rows else 0


def dashboard_cards(request, facts: DashboardFacts | None = None) -> list[dict]:
    org = request.organization
    perms = request.org_perms
    facts = facts or DashboardFacts(org, request.user)
    cards = []
    if roles.MANAGE_MEMBERS in perms:
        cards.append({
            "label": "PortalGov logins", "value": Membership.objects.filter(organization=org).count(),
            "url_name": "members",
        })
    from findings.dashboard import access_cards  # staff, accounts, tasks and findings counts

    cards.extend(access_cards(org, perms))
    if roles.VIEW_PORTAL_ACCOUNTS in perms:  # practice figures; a staff member's dashboard is about her own access
        from carriers.selectors import directory_cards  # portals registered, current contracts

        cards.extend(directory_cards(org))
    from reviews.dashboard import review_cards  # review items waiting, the running campaign

    cards.extend(review_cards(request, facts=facts))
    from offboarding.dashboard import offboarding_cards  # leavers' open checklists, overdue ones

    cards.extend(offboarding_cards(org, perms))
    from audits.dashboard import audit_cards  # when the audit log was last verified, and the result

    if roles.VIEW_AUDIT_LOG in perms:  # the audit layer knows no roles (DESIGN invariant 15)
        cards.extend(audit_cards(org, run=facts.latest_verification))
    from security.dashboard import security_cards  # logins still without required MFA, locked-out logins

    cards.extend(security_cards(org, perms))
    from training.dashboard import training_cards  # accounts whose holder's required training is due or expired

    cards.extend(training_cards(org, perms))
    # Alarming figures first; a red "1" must not sit among neutral counts looking like them.
    order = {"bad": 0, "warn": 1, "": 2, "ok": 3}
    cards.sort(key=lambda c: order.get(c.get("tone", ""), 2))
    return cards


def dashboard_trends(organization, perms) -> list[dict]:
    """The trend of the figures that matter most (full set on Compliance over time), for those who see findings."""
    if roles.VIEW_FINDINGS not in perms or roles.VIEW_PORTAL_ACCOUNTS not in perms:
        return []
    from compliance.views import trend_charts  # daily snapshots, drawn as inline SVG

    return trend_charts(organization, keys={"findings_critical", "tasks_overdue", "training_coverage"})


def my_access(*, organization, user) -> dict:
    """A person's own portal accounts (with their open findings) and training, for her dashboard."""
    from django.db.models import Count, Q

    from access.selectors import accounts_of
    from staff.selectors import staff_for_user
    from training.selectors import my_modules

    me = staff_for_user(organization=organization, user=user)
    if me is None:
        return {"me": None, "accounts": [], "training": []}
    accounts = list(accounts_of(me).annotate(
        open_findings=Count("findings", filter=Q(findings__resolved_at__isnull=True))))
    return {"me": me, "accounts": accounts, "training": my_modules(organization, me)}


# --- "Needs you now": the one place that decides what leads a person's dashboard ---------------------------

# Most urgent first: a leaver's clock, then critical findings, then overdue work, then waiting work.
TIER_LEAVER, TIER_CRITICAL, TIER_DEACTIVATE, TIER_OVERDUE, TIER_WAITING, TIER_SOON = range(6)
NEEDS_PER_KIND = 6  # rows of one kind; the rest are a "see all" link with the total


@dataclass
class Need:
    kind: str  # leaver, finding, task, review, training, audit
    tier: int
    at: datetime.datetime  # the deadline, or when it began: earlier is more urgent within a tier
    title: str
    detail: str
    age: str  # "overdue by 2 days", "41 minutes left", "open for 3 weeks"
    url: str
    tone: str = "bad"  # bad (red) or warn (amber)
    more: int = 0  # rows of this kind not shown
    kind_label: str = ""  # overrides the label below

    @property
    def label(self) -> str:
        if self.kind_label:
            return self.kind_label
        if self.kind == "task":
            return "Overdue deactivation" if self.tier == TIER_DEACTIVATE else "Overdue task"
        if self.kind == "finding":
            return "Critical finding" if self.tier == TIER_CRITICAL else "Finding"
        return {"leaver": "Leaver", "review": "Access review", "training": "Your training",
                "audit": "Audit log"}.get(self.kind, self.kind)


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _age(since, now) -> str:
    return timesince(since, now, depth=1)


def _capped(rows, make) -> list[Need]:
    """Rows carry the kind's total (a window count), so a long list costs no extra query."""
    needs = [make(r) for r in rows[:NEEDS_PER_KIND]]
    if rows and needs:
        needs[-1].more = rows[0].total - len(needs)
    return needs


def needs_you_now(*, organization, user, perms, now=None, facts: DashboardFacts | None = None) -> list[Need]:
    """What this person should act on now, most urgent first, each with its age and a link.

    By permission: administrators get leavers on the clock, overdue provisioning and deactivation tasks and
    critical findings; reviewers their waiting review items; auditors overdue reviews and a failed or missing
    audit-log verification; a staff member her own accounts' findings, her overdue tasks as a portal
    administrator and her own training. A fixed number of queries whatever the number of rows.
    """
    from django.db.models import Count, Q, Window

    from access.models import ProvisioningTask
    from findings.models import Finding
    from offboarding.models import ChecklistItem, OffboardingCase
    from staff.selectors import staff_for_user

    now = now or timezone.now()
    today = timezone.localdate(now)
    facts = facts if facts is not None and facts.today == today else DashboardFacts(organization, user, today)
    slug = organization.slug
    total = Window(Count("pk"))
    needs: list[Need] = []

    def url(name, *args, query=""):
        return reverse(name, args=[slug, *args]) + (f"?{query}" if query else "")

    can_act_on_access = bool({roles.MANAGE_STAFF, roles.MANAGE_PORTAL_ACCOUNTS} & perms)
    me = None if roles.VIEW_PORTAL_ACCOUNTS in perms else staff_for_user(organization=organization, user=user)

    if can_act_on_access:
        cases = list(OffboardingCase.objects.filter(organization=organization, completed_at__isnull=True)
                     .select_related("staff_member")
                     .annotate(open_items=Count("items", filter=Q(items__status__in=[
                         ChecklistItem.Status.OPEN, ChecklistItem.Status.HELD])), total=total)
                     .order_by("due_at", "pk")[:NEEDS_PER_KIND + 1])

        def leaver(case):
            left = case.due_at - now
            age = (f"overdue by {_age(case.due_at, now)}" if left.total_seconds() <= 0
                   else f"{timeuntil(case.due_at, now, depth=1)} left")
            return Need("leaver", TIER_LEAVER, case.due_at, f"Leaver: {case.staff_member.full_name}",
                        f"{case.open_items} checklist item{pluralize(case.open_items)} open · "
                        f"recorded {_age(case.recorded_at, now)} ago", age,
                        url("offboarding_case", case.pk), "bad" if left.total_seconds() <= 0 else "warn")
        needs += _capped(cases, leaver)

    if roles.MANAGE_PORTAL_ACCOUNTS in perms or me is not None:
        tasks = ProvisioningTask.objects.filter(organization=organization, status=ProvisioningTask.Status.OPEN,
                                                due_on__lt=today)
        if roles.MANAGE_PORTAL_ACCOUNTS not in perms:
            tasks = tasks.filter(assignee=me)
        tasks = list(tasks.select_related("portal_account__staff_member", "portal_account__enrollment__portal")
                     .annotate(total=total).order_by("due_on", "created_at", "pk")[:NEEDS_PER_KIND + 1])

        def task(t):
            deactivate = t.kind == ProvisioningTask.Kind.DEACTIVATE
            return Need("task", TIER_DEACTIVATE if deactivate else TIER_OVERDUE, _aware(t.due_on),
                        f"{t.get_kind_display()}: {t.portal_account.staff_member.full_name}",
                        f"{t.portal_account.enrollment.portal.name} · was due {t.due_on:%Y-%m-%d}",
                        f"overdue by {_age(_aware(t.due_on), now)}", url("task_complete", t.pk),
                        "bad" if deactivate else "warn")
        needs += _capped(tasks, task)

    if roles.VIEW_FINDINGS in perms:
        critical = list(Finding.objects.filter(organization=organization, resolved_at__isnull=True,
                                               silenced_at__isnull=True, severity="critical")
                        .annotate(total=total).order_by("first_seen", "pk")[:NEEDS_PER_KIND + 1])
        needs += _capped(critical, lambda f: Need(
            "finding", TIER_CRITICAL, f.first_seen, f.title, f"First seen {timezone.localtime(f.first_seen):%Y-%m-%d}",
            f"open for {_age(f.first_seen, now)}",
            url("findings", query="severity=critical")))
    elif me is not None:
        # Her own accounts' open findings, whatever their severity: a shared login is hers to stop using.
        mine = list(Finding.objects.filter(Q(portal_account__staff_member=me) | Q(staff_member=me),
                                           organization=organization, resolved_at__isnull=True)
                    .annotate(total=total).order_by("severity_rank", "first_seen", "pk")[:NEEDS_PER_KIND + 1])
        needs += _capped(mine, lambda f: Need(
            "finding", TIER_CRITICAL if f.severity == "critical" else TIER_OVERDUE, f.first_seen, f.title,
            f"{f.get_severity_display()} finding on your portal access · tell your practice administrator",
            f"open for {_age(f.first_seen, now)}", url("my_accounts"),
            "bad" if f.severity in ("critical", "high") else "warn", kind_label=f"{f.get_severity_display()} finding"))

    if roles.RUN_ACCESS_REVIEWS in perms:
        for row in facts.waiting_reviews:
            overdue = row["campaign__due_on"] < today
            due = _aware(row["campaign__due_on"])
            needs.append(Need(
                "review", TIER_OVERDUE if overdue else TIER_WAITING, due,
                f"{row['n']} review item{pluralize(row['n'])} waiting for your decision",
                f"{row['campaign__name']} · due {row['campaign__due_on']:%Y-%m-%d}",
                f"overdue by {_age(due, now)}" if overdue else f"waiting {_age(row['campaign__launched_at'], now)}",
                url("reviews_queue"), "bad" if overdue else "warn"))

    if roles.VIEW_AUDIT_LOG in perms:
        for c in facts.overdue_campaigns:
            due = _aware(c.due_on)
            needs.append(Need("review", TIER_OVERDUE, due, f"Access review not signed off: {c.name}",
                              f"was due {c.due_on:%Y-%m-%d}", f"overdue by {_age(due, now)}",
                              url("reviews_campaign", c.pk)))
        run = facts.latest_verification
        if run is not None and not run.ok:
            needs.append(Need("audit", TIER_CRITICAL, run.finished_at, "Audit log verification failed",
                              "An event was changed or removed behind the application's back",
                              f"{_age(run.finished_at, now)} ago", url("audit_verification")))
        elif run is None and roles.MANAGE_MEMBERS not in perms:
            needs.append(Need("audit", TIER_SOON, now, "Audit log not yet verified",
                              "Run a verification before relying on the log", "never run",
                              url("audit_verification"), "warn"))

    if me is not None:
        from training.selectors import DUE, EXPIRED, my_modules

        for row in my_modules(organization, me, today=today):
            if row["required"] and row["state"] in (DUE, EXPIRED):
                expired = row["state"] == EXPIRED
                since = _aware(row["expires_on"]) if expired else now
                needs.append(Need(
                    "training", TIER_SOON, since, f"Training: {row['module'].title}",
                    "Required for your portal accounts",
                    f"expired {_age(since, now)} ago" if expired else "not yet completed",
                    url("my_training"), "bad" if expired else "warn"))

    needs.sort(key=lambda n: (n.tier, n.at))
    return needs
