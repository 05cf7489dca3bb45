"""Launching a campaign: one item per reviewed account and organization credential, each a snapshot
of what the reviewer needs to decide, each with a reviewer who is never the holder.

Idempotent and resumable (invariant 10): the campaign is unique per organization and period and
each account appears once per campaign (unique constraints), items are written in committed
batches that skip what is already there (ON CONFLICT DO NOTHING), and the campaign only turns "open"
once every batch is in. Launching again, or again after a crash halfway, fills in what is missing and
nothing else. On PostgreSQL each batch is one INSERT ... SELECT that builds the snapshots
(reviews/launch_sql.py); elsewhere SnapshotContext builds the same items in Python.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from itertools import cycle
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Subquery
from django.utils import timezone

from access.models import (
    AccessException,
    AccountStatus,
    OrganizationCredential,
    PortalAccount,
)
from access.policy import policy_for_organization
from accounts.models import Membership, Role
from audits.services import record_event
from carriers.models import PortalAccountRule, PortalFunction
from core.bulkwrite import insert_ignoring_conflicts
from findings.models import Finding
from findings.rules import Rule
from staff.models import EmploymentStatus, JobRole
from training.selectors import active_modules, training_status_for_accounts

from .common import actor_label
from .models import DEFAULT_REMINDER_DAYS, FLAGGED, ReviewCampaign, ReviewItem, ReviewSettings
from .periods import period_label, period_name, period_start

# Accounts a review looks at: those that work (or could work again) on the payer side. Requested
# ones are not provisioned yet and deactivation-pending ones are already on their way out.
REVIEWED_STATUSES = (AccountStatus.ACTIVE, AccountStatus.SUSPENDED)
INACTIVE_AFTER_DAYS = 90
LAUNCH_WINDOW_DAYS = 7  # the scheduled job launches within the first week of a period (survives a missed run)
BATCH_SIZE = 5000  # items per committed batch (a crash loses at most one batch, redone by the next run)
# The training selector's "due" is a required module never completed: the reviewer reads "missing".
TRAINING_LABELS = {"current": "current", "expired": "expired", "due": "missing", "none required": "none required"}
REVIEWER_ROLES = (Role.BILLING_MANAGER, Role.ADMINISTRATOR)  # the roles holding RUN_ACCESS_REVIEWS
# Only what the snapshot reads, as plain values (AccountSnapshotRow, in this order).
ACCOUNT_VALUES = (
    "id", "portal_user_id", "status", "mfa_enrolled", "last_login_attested", "password_last_changed",
    "provisioned_at", "created_at", "staff_member_id", "staff_member__full_name", "staff_member__job_role",
    "staff_member__employment_status", "staff_member__end_date", "staff_member__user_id",
    "staff_member__manager_id", "staff_member__manager__full_name", "staff_member__manager__employment_status",
    "staff_member__manager__user_id", "enrollment__portal_id", "enrollment__portal__name",
)
# The columns launch writes for an account item (every other column takes its default).
ITEM_COLUMNS = ("campaign_id", "organization_id", "kind", "portal_account_id", "credential_id", "holder_id",
                "holder_name", "portal_name", "snapshot", "flags", "flagged", "reviewer_id", "reviewer_basis")
JOB_ROLE_LABELS = {r.value: str(r.label) for r in JobRole}
EMPLOYMENT_LABELS = {s.value: str(s.label) for s in EmploymentStatus}


class AccountSnapshotRow(NamedTuple):
    pk: int
    portal_user_id: str
    status: str
    mfa_enrolled: bool
    last_login_attested: datetime.date | None
    password_last_changed: datetime.date | None
    provisioned_at: datetime.datetime | None
    created_at: datetime.datetime
    staff_member_id: int
    full_name: str
    job_role: str
    employment_status: str
    end_date: datetime.date | None
    user_id: int | None
    manager_id: int | None
    manager_name: str | None
    manager_status: str | None
    manager_user_id: int | None
    portal_id: int
    portal_name: str


def settings_for(organization) -> ReviewSettings:
    found = ReviewSettings.objects.filter(organization=organization).first()
    return found or ReviewSettings(organization=organization, reminder_days_before=list(DEFAULT_REMINDER_DAYS))


class ReviewerPicker:
    """Who reviews whose access: the holder's manager if that manager has a reviewing login here,
    else the billing managers in turn, else the administrators; never the holder."""

    def __init__(self, organization):
        rows = (Membership.objects.filter(organization=organization, role__in=REVIEWER_ROLES, user__is_active=True)
                .order_by("user_id").values_list("user_id", "role"))
        self.roles = dict(rows)
        self.billing = [u for u, r in self.roles.items() if r == Role.BILLING_MANAGER]
        self.admins = [u for u, r in self.roles.items() if r == Role.ADMINISTRATOR]
        self._billing_turn = cycle(self.billing) if self.billing else None
        self._admin_turn = cycle(self.admins) if self.admins else None

    def _next(self, turn, pool, excluded: set) -> int | None:
        if not pool:
            return None
        for _ in range(len(pool)):
            candidate = next(turn)
            if candidate not in excluded:
                return candidate
        return None

    def pick(self, *, excluded_users: set, manager_user_id: int | None = None) -> tuple[int | None, str]:
        if manager_user_id and manager_user_id in self.roles and manager_user_id not in excluded_users:
            return manager_user_id, ReviewItem.ReviewerBasis.MANAGER
        chosen = self._next(self._billing_turn, self.billing, excluded_users)
        if chosen:
            return chosen, ReviewItem.ReviewerBasis.BILLING_MANAGER
        chosen = self._next(self._admin_turn, self.admins, excluded_users)
        if chosen:
            return chosen, ReviewItem.ReviewerBasis.ADMINISTRATOR
        return None, ReviewItem.ReviewerBasis.UNASSIGNED


class SnapshotContext:
    """Everything a snapshot needs that does not depend on the batch (a handful of queries)."""

    def __init__(self, organization, today: datetime.date):
        self.organization = organization
        self.today = today
        self.policy = policy_for_organization(organization)
        self.functions = {f.pk: (f.code, f.name) for f in PortalFunction.objects.all()}
        self.rules = defaultdict(dict)
        for portal_id, kind, number in PortalAccountRule.objects.filter(
                kind__in=[PortalAccountRule.Kind.INACTIVITY_LOCKOUT_DAYS, PortalAccountRule.Kind.RECERT_INTERVAL_DAYS],
                number__isnull=False).values_list("portal_id", "kind", "number"):
            self.rules[portal_id][kind] = number
        self.picker = ReviewerPicker(organization)
        # Training: the practice's active modules (none: not tracked here, the snapshot says "unknown").
        self.training_modules = active_modules(organization)

    def account_items(self, campaign, ids: list[int]) -> list[tuple]:
        """One row (ITEM_COLUMNS) per account: plain values, no model instances (at 300,000 accounts
        building the account, person, manager and portal objects and then each ReviewItem was most of
        the launch)."""
        # ids are the batch's reviewed accounts in pk order: a pk range selects them (with the same filters)
        # without an IN list of thousands of parameters in each of the queries below.
        lo, hi = ids[0], ids[-1]
        fns = defaultdict(list)
        through = PortalAccount.functions.through
        for account_id, function_id in through.objects.filter(
                portalaccount__organization=self.organization, portalaccount__status__in=REVIEWED_STATUSES,
                portalaccount_id__gte=lo, portalaccount_id__lte=hi).values_list("portalaccount_id", "portalfunction_id"):
            fns[account_id].append(self.functions[function_id])
        findings = defaultdict(list)
        self.shared = set()
        for account_id, title, rule in Finding.objects.filter(
                organization=self.organization, resolved_at__isnull=True, portal_account_id__gte=lo, portal_account_id__lte=hi
        ).values_list("portal_account_id", "title", "rule"):
            findings[account_id].append(title)
            if rule == Rule.SHARED_CREDENTIAL:
                self.shared.add(account_id)
        excepted = set(AccessException.objects.filter(
            organization=self.organization, portal_account_id__gte=lo, portal_account_id__lte=hi, approved_at__isnull=False,
            revoked_at__isnull=True, expires_on__gte=self.today).values_list("portal_account_id", "function__code"))
        training = (training_status_for_accounts(self.organization, ids, today=self.today,
                                                 modules=self.training_modules)
                    if self.training_modules else {})
        rows = (PortalAccount.objects.filter(organization=self.organization, status__in=REVIEWED_STATUSES,
                                             pk__range=(lo, hi)).order_by("pk").values_list(*ACCOUNT_VALUES))
        return [self._account_item(campaign, AccountSnapshotRow(*row), sorted(fns[row[0]]), findings[row[0]],
                                   excepted, TRAINING_LABELS.get(training.get(row[0]), "unknown")) for row in rows]

    def _account_item(self, campaign, account, functions, findings, excepted, training="unknown") -> tuple:
        allowed = self.policy.get(account.job_role, frozenset())
        beyond = [code for code, _ in functions if code not in allowed and (account.pk, code) not in excepted]
        days_since_login = (self.today - account.last_login_attested).days if account.last_login_attested else None
        rules = self.rules.get(account.portal_id, {})
        lockout = rules.get(PortalAccountRule.Kind.INACTIVITY_LOCKOUT_DAYS)
        recert = rules.get(PortalAccountRule.Kind.RECERT_INTERVAL_DAYS)
        days_to_lockout = lockout - days_since_login if (lockout and days_since_login is not None) else None
        days_to_recert = None
        if recert:
            # No recorded re-certification date on the account: count from when it was provisioned.
            since = (account.provisioned_at.date() if account.provisioned_at else account.created_at.date())
            days_to_recert = recert - ((self.today - since).days % recert)
        status = account.employment_status
        left = status == EmploymentStatus.TERMINATED or bool(account.end_date and account.end_date < self.today)
        flags = []
        if left:
            flags.append("terminated")
        if status == EmploymentStatus.ON_LEAVE:
            flags.append("on_leave")
        if (days_since_login is not None and days_since_login > INACTIVE_AFTER_DAYS) or (
                days_to_lockout is not None and days_to_lockout < 0):
            flags.append("inactive")
        if beyond:
            flags.append("beyond_policy")
        if account.pk in getattr(self, "shared", ()):
            flags.append("shared_user_id")
        if account.status == AccountStatus.DEACTIVATION_PENDING:
            flags.append("deactivation_pending")
        if findings:
            flags.append("open_findings")
        if not account.mfa_enrolled:
            flags.append("no_mfa")
        manager_user = (account.manager_user_id if (account.manager_id
                                                    and account.manager_status == EmploymentStatus.ACTIVE) else None)
        excluded = {account.user_id} if account.user_id else set()
        reviewer_id, basis = self.picker.pick(excluded_users=excluded, manager_user_id=manager_user)
        snapshot = {
            "holder": account.full_name, "job_role": JOB_ROLE_LABELS.get(account.job_role, account.job_role),
            "job_role_code": account.job_role, "employment_status": status,
            "employment_status_label": EMPLOYMENT_LABELS.get(status, status),
            "end_date": account.end_date.isoformat() if account.end_date else None,
            "manager": (account.manager_name or "") if account.manager_id else "",
            "portal": account.portal_name, "portal_user_id": account.portal_user_id,
            "account_status": account.status,
            "functions": [{"code": c, "name": n} for c, n in functions], "beyond_policy": beyond,
            "last_login": account.last_login_attested.isoformat() if account.last_login_attested else None,
            "days_since_login": days_since_login, "mfa_enrolled": account.mfa_enrolled,
            "password_last_changed": (account.password_last_changed.isoformat()
                                      if account.password_last_changed else None),
            "training": training,  # current / expired / missing / none required ("unknown": not tracked)
            "open_findings": findings[:10], "open_findings_count": len(findings),
            "days_to_lockout": days_to_lockout, "days_to_recert": days_to_recert,
        }
        return (campaign.pk, campaign.organization_id, ReviewItem.Kind.ACCOUNT.value, account.pk, None,
                account.staff_member_id, account.full_name, account.portal_name, snapshot, flags,
                bool(FLAGGED & set(flags)), reviewer_id, str(basis))

    def credential_items(self, campaign) -> list[ReviewItem]:
        creds = (OrganizationCredential.objects.filter(organization=self.organization)
                 .select_related("enrollment__portal").prefetch_related("custodians").order_by("pk"))
        findings = defaultdict(list)
        for cred_id, title in Finding.objects.filter(organization=self.organization, resolved_at__isnull=True,
                                                     credential__isnull=False).values_list("credential_id", "title"):
            findings[cred_id].append(title)
        items = []
        for cred in creds:
            custodians = list(cred.custodians.all())
            excluded = {c.user_id for c in custodians if c.user_id}
            reviewer_id, basis = self.picker.pick(excluded_users=excluded)
            portal = cred.enrollment.portal.name if cred.enrollment_id else ""
            flags = (["open_findings"] if findings[cred.pk] else []) + (
                ["terminated"] if any(c.employment_status == EmploymentStatus.TERMINATED for c in custodians) else [])
            items.append(ReviewItem(
                campaign=campaign, organization_id=campaign.organization_id, kind=ReviewItem.Kind.CREDENTIAL,
                credential_id=cred.pk, holder_name=f"{cred.label} (organization credential)", portal_name=portal,
                snapshot={
                    "holder": cred.label, "credential_kind": cred.get_kind_display(), "login_id": cred.login_id,
                    "portal": portal, "custodians": [c.full_name for c in custodians],
                    "custodian_status": {c.full_name: c.employment_status for c in custodians},
                    "rotated_on": cred.rotated_on.isoformat() if cred.rotated_on else None,
                    "rotation_required": cred.rotation_required, "training": "unknown",
                    "open_findings": findings[cred.pk][:10], "open_findings_count": len(findings[cred.pk]),
                    "functions": [],
                },
                flags=flags, flagged="terminated" in flags, reviewer_id=reviewer_id, reviewer_basis=basis,
            ))
        return items


def write_account_batch(ctx: SnapshotContext, campaign, lo: int, hi: int) -> None:
    """One committed batch: the items of the reviewed accounts with lo <= pk <= hi, those already written
    left alone. PostgreSQL: one INSERT ... SELECT that builds the snapshots (reviews/launch_sql.py: at
    300,000 accounts building and serialising them in Python was half the launch). Elsewhere (SQLite):
    built here in Python, the same values (tests/reviews/test_launch_sql.py compares the two)."""
    if connection.vendor == "postgresql":
        from .launch_sql import insert_account_items

        insert_account_items(ctx, campaign, lo, hi)
        return
    ids = list(PortalAccount.objects.filter(organization=ctx.organization, status__in=REVIEWED_STATUSES,
                                            pk__range=(lo, hi)).order_by("pk").values_list("pk", flat=True))
    if ids:
        insert_ignoring_conflicts(ReviewItem, ITEM_COLUMNS, ctx.account_items(campaign, ids))


def _start_campaign(organization, label: str, start: datetime.date, now, acting_user) -> ReviewCampaign:
    cfg = settings_for(organization)
    with transaction.atomic():
        campaign, created = ReviewCampaign.objects.get_or_create(
            organization=organization, period=label,
            defaults={
                "name": period_name(label), "period_start": start, "launched_at": now,
                "due_on": timezone.localdate(now) + datetime.timedelta(days=cfg.duration_days),
                "undecided_rule": cfg.undecided_rule, "escalate_after_days": cfg.escalate_after_days,
                "reminder_days_before": cfg.reminder_days, "weekly_reminders": cfg.weekly_reminders,
                "launched_by": actor_label(acting_user),
            },
        )
        if created:
            record_event("review_campaign.launch_started", actor=acting_user, organization=organization,
                         target=campaign, changes={"period": [None, label], "due_on": [None, str(campaign.due_on)]})
    return campaign


def campaign_launch(*, organization, acting_user=None, period: str | None = None, now=None,
                    batch_size: int = BATCH_SIZE) -> ReviewCampaign:
    """Launch (or finish launching) the review of `period` (default: the current one)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    label = (period or period_label(today, settings_for(organization).cadence_months)).strip().upper()
    start = period_start(label)  # ValueError with a readable message for a bad label
    campaign = _start_campaign(organization, label, start, now, acting_user)
    if campaign.status != ReviewCampaign.Status.LAUNCHING:
        return campaign  # already launched: nothing to do
    ctx = SnapshotContext(organization, today)
    accounts = PortalAccount.objects.filter(organization=organization, status__in=REVIEWED_STATUSES)
    last_pk = 0
    while True:
        # The batch's last pk (the batch is every reviewed account in (last_pk, hi]): no id list to fetch.
        hi = accounts.filter(pk__in=Subquery(accounts.filter(pk__gt=last_pk).order_by("pk").values("pk")[:batch_size])
                             ).aggregate(hi=Max("pk"))["hi"]
        if hi is None:
            break
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A batch lost in a crash is redone by the next run (the campaign stays "launching" until
                # the final, synchronous commit, which also makes every earlier batch durable): no need
                # to wait for each batch's WAL flush.
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL synchronous_commit TO OFF")
            write_account_batch(ctx, campaign, last_pk + 1, hi)
        last_pk = hi
    with transaction.atomic():
        ReviewItem.objects.bulk_create(ctx.credential_items(campaign), ignore_conflicts=True)
        campaign = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == ReviewCampaign.Status.LAUNCHING:
            campaign.scope = campaign_scope(campaign)
            campaign.status = ReviewCampaign.Status.OPEN
            campaign.save(update_fields=["scope", "status"])
            record_event("review_campaign.launched", actor=acting_user, organization=organization, target=campaign,
                         changes={"status": ["launching", "open"]}, extra={"scope": campaign.scope},
                         message=f"{campaign.scope['items']} items, due {campaign.due_on:%Y-%m-%d}")
    from .reminders import campaign_remind_and_escalate

    campaign_remind_and_escalate(campaign=campaign, now=now)  # the launch e-mail to each reviewer
    return campaign


def campaign_scope(campaign) -> dict:
    agg = ReviewItem.objects.filter(campaign=campaign).aggregate(
        items=Count("pk"), accounts=Count("pk", filter=Q(kind=ReviewItem.Kind.ACCOUNT)),
        credentials=Count("pk", filter=Q(kind=ReviewItem.Kind.CREDENTIAL)),
        flagged=Count("pk", filter=Q(flagged=True)), reviewers=Count("reviewer", distinct=True),
        unassigned=Count("pk", filter=Q(reviewer__isnull=True)),
        people=Count("holder", distinct=True), portals=Count("portal_name", distinct=True),
    )
    agg["statuses_reviewed"] = list(REVIEWED_STATUSES)
    return agg


def launch_due_campaigns(*, now=None, errors: list | None = None) -> dict:
    """The scheduled job: every organization whose period started in the last week and has no
    campaign for it gets one; a launch left halfway is finished. One organization failing is
    recorded in `errors` and the others go on."""
    from accounts.models import Organization

    from .jobs import record_error

    errors = [] if errors is None else errors
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"launched": 0, "resumed": 0, "failed": 0}
    for campaign in ReviewCampaign.objects.filter(status=ReviewCampaign.Status.LAUNCHING).select_related(
            "organization"):
        try:
            campaign_launch(organization=campaign.organization, period=campaign.period, now=now)
            counts["resumed"] += 1
        except Exception as exc:  # noqa: BLE001 - recorded on the job run; the others go on
            record_error(errors, campaign.organization, exc)
            counts["failed"] += 1
    for org in Organization.objects.order_by("pk").iterator():
        label = period_label(today, settings_for(org).cadence_months)
        if (today - period_start(label)).days >= LAUNCH_WINDOW_DAYS:
            continue
        if ReviewCampaign.objects.filter(organization=org, period=label).exists():
            continue
        try:
            campaign_launch(organization=org, period=label, now=now)
            counts["launched"] += 1
        except Exception as exc:  # noqa: BLE001
            record_error(errors, org, exc)
            counts["failed"] += 1
    return counts
