"""Launching a campaign: one item per reviewed account and organization credential, each a snapshot
of what the reviewer needs to decide, each with a reviewer who is never the holder.

Idempotent and resumable (invariant 10): the campaign is unique per organization and period and
each account appears once per campaign (unique constraints), items are written in committed
batches with bulk_create(ignore_conflicts=True), and the campaign only turns "open" once every batch
is in. Launching again, or again after a crash halfway, fills in what is missing and nothing else.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from itertools import cycle

from django.db import transaction
from django.db.models import Count, Q
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
from findings.models import Finding
from findings.rules import Rule
from staff.models import EmploymentStatus
from training.selectors import active_modules, training_status_for_accounts

from .common import actor_label
from .models import DEFAULT_REMINDER_DAYS, FLAGGED, ReviewCampaign, ReviewItem, ReviewSettings
from .periods import period_label, period_name, period_start

# Accounts a review looks at: those that work (or could work again) on the payer side. Requested
# ones are not provisioned yet and deactivation-pending ones are already on their way out.
REVIEWED_STATUSES = (AccountStatus.ACTIVE, AccountStatus.SUSPENDED)
INACTIVE_AFTER_DAYS = 90
LAUNCH_WINDOW_DAYS = 7  # the scheduled job launches within the first week of a period (survives a missed run)
BATCH_SIZE = 2000
# The training selector's "due" is a required module never completed: the reviewer reads "missing".
TRAINING_LABELS = {"current": "current", "expired": "expired", "due": "missing", "none required": "none required"}
REVIEWER_ROLES = (Role.BILLING_MANAGER, Role.ADMINISTRATOR)  # the roles holding RUN_ACCESS_REVIEWS
# Only what the snapshot reads: fewer columns to fetch and to set on 100,000 instances.
ACCOUNT_FIELDS = (
    "id", "organization_id", "portal_user_id", "status", "mfa_enrolled", "last_login_attested",
    "password_last_changed", "provisioned_at", "created_at", "staff_member", "enrollment",
    "staff_member__id", "staff_member__full_name", "staff_member__job_role", "staff_member__employment_status",
    "staff_member__end_date", "staff_member__user", "staff_member__manager",
    "staff_member__manager__id", "staff_member__manager__full_name",
    "staff_member__manager__employment_status", "staff_member__manager__user",
    "enrollment__id", "enrollment__portal", "enrollment__portal__id", "enrollment__portal__name",
)


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

    def account_items(self, campaign, ids: list[int]) -> list[ReviewItem]:
        accounts = (PortalAccount.objects.filter(pk__in=ids)
                    .select_related("staff_member__manager", "enrollment__portal")
                    .only(*ACCOUNT_FIELDS).order_by("pk"))
        fns = defaultdict(list)
        through = PortalAccount.functions.through
        for account_id, function_id in through.objects.filter(portalaccount_id__in=ids).values_list(
                "portalaccount_id", "portalfunction_id"):
            fns[account_id].append(self.functions[function_id])
        findings = defaultdict(list)
        self.shared = set()
        for account_id, title, rule in Finding.objects.filter(
                organization=self.organization, resolved_at__isnull=True, portal_account_id__in=ids).values_list(
                "portal_account_id", "title", "rule"):
            findings[account_id].append(title)
            if rule == Rule.SHARED_CREDENTIAL:
                self.shared.add(account_id)
        excepted = set(AccessException.objects.filter(
            portal_account_id__in=ids, approved_at__isnull=False, revoked_at__isnull=True,
            expires_on__gte=self.today).values_list("portal_account_id", "function__code"))
        training = (training_status_for_accounts(self.organization, ids, today=self.today,
                                                 modules=self.training_modules)
                    if self.training_modules else {})
        return [self._account_item(campaign, a, sorted(fns[a.pk]), findings[a.pk], excepted,
                                   TRAINING_LABELS.get(training.get(a.pk), "unknown")) for a in accounts]

    def _account_item(self, campaign, account, functions, findings, excepted, training="unknown") -> ReviewItem:
        person = account.staff_member
        portal = account.enrollment.portal
        allowed = self.policy.get(person.job_role, frozenset())
        beyond = [code for code, _ in functions if code not in allowed and (account.pk, code) not in excepted]
        days_since_login = (self.today - account.last_login_attested).days if account.last_login_attested else None
        rules = self.rules.get(portal.pk, {})
        lockout = rules.get(PortalAccountRule.Kind.INACTIVITY_LOCKOUT_DAYS)
        recert = rules.get(PortalAccountRule.Kind.RECERT_INTERVAL_DAYS)
        days_to_lockout = lockout - days_since_login if (lockout and days_since_login is not None) else None
        days_to_recert = None
        if recert:
            # No recorded re-certification date on the account: count from when it was provisioned.
            since = (account.provisioned_at.date() if account.provisioned_at else account.created_at.date())
            days_to_recert = recert - ((self.today - since).days % recert)
        left = person.employment_status == EmploymentStatus.TERMINATED or bool(
            person.end_date and person.end_date < self.today)
        flags = []
        if left:
            flags.append("terminated")
        if person.employment_status == EmploymentStatus.ON_LEAVE:
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
        manager = person.manager
        manager_user = manager.user_id if (manager and manager.employment_status == EmploymentStatus.ACTIVE) else None
        excluded = {person.user_id} if person.user_id else set()
        reviewer_id, basis = self.picker.pick(excluded_users=excluded, manager_user_id=manager_user)
        snapshot = {
            "holder": person.full_name, "job_role": person.get_job_role_display(), "job_role_code": person.job_role,
            "employment_status": person.employment_status,
            "employment_status_label": person.get_employment_status_display(),
            "end_date": person.end_date.isoformat() if person.end_date else None,
            "manager": manager.full_name if manager else "",
            "portal": portal.name, "portal_user_id": account.portal_user_id, "account_status": account.status,
            "functions": [{"code": c, "name": n} for c, n in functions], "beyond_policy": beyond,
            "last_login": account.last_login_attested.isoformat() if account.last_login_attested else None,
            "days_since_login": days_since_login, "mfa_enrolled": account.mfa_enrolled,
            "password_last_changed": (account.password_last_changed.isoformat()
                                      if account.password_last_changed else None),
            "training": training,  # current / expired / missing / none required ("unknown": not tracked)
            "open_findings": findings[:10], "open_findings_count": len(findings),
            "days_to_lockout": days_to_lockout, "days_to_recert": days_to_recert,
        }
        return ReviewItem(
            campaign=campaign, organization_id=campaign.organization_id, kind=ReviewItem.Kind.ACCOUNT,
            portal_account_id=account.pk, holder_id=person.pk, holder_name=person.full_name,
            portal_name=portal.name, snapshot=snapshot, flags=flags,
            flagged=bool(FLAGGED & set(flags)),
            reviewer_id=reviewer_id, reviewer_basis=basis,
        )

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
        ids = list(accounts.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        with transaction.atomic():
            ReviewItem.objects.bulk_create(ctx.account_items(campaign, ids), ignore_conflicts=True)
        last_pk = ids[-1]
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
