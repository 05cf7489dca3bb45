"""Reminders, escalation and the deadline rule, run daily (and once at launch).

Reviewers with pending items get at most one e-mail a day: at launch, every 7 days, on the
configured days before the due date, and daily once overdue (after ConductorOne's cadence).
After the due date (plus the organization's grace days) undecided items follow the organization's
rule: escalate to the administrators (e-mailed daily) or revoke. An overdue campaign is a finding.
Every step is idempotent: the reminder rows are unique per person, kind and day.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from audits.services import record_event
from core.context import Actor

from .models import Decision, ReviewCampaign, ReviewItem, ReviewReminder, UndecidedRule

JOB = Actor.job("reviews.remind_and_escalate")


def reminder_kind(campaign: ReviewCampaign, today: datetime.date) -> str | None:
    """Which reviewer reminder (if any) is due today."""
    days_left = (campaign.due_on - today).days
    days_since_launch = (today - timezone.localdate(campaign.launched_at)).days
    if days_left < 0:
        return ReviewReminder.Kind.OVERDUE
    if days_since_launch == 0:
        return ReviewReminder.Kind.LAUNCH
    if days_left in set(campaign.reminder_days_before or []):
        return ReviewReminder.Kind.BEFORE_DUE
    if campaign.weekly_reminders and days_since_launch > 0 and days_since_launch % 7 == 0:
        return ReviewReminder.Kind.WEEKLY
    return None


def escalation_due(campaign: ReviewCampaign, today: datetime.date) -> bool:
    return today > campaign.due_on + datetime.timedelta(days=campaign.escalate_after_days)


def _queue_url(campaign) -> str:
    base = getattr(settings, "SITE_URL", "") or ""
    return base.rstrip("/") + reverse("reviews_queue", args=[campaign.organization.slug])


def _send(recipient: User, subject: str, body: str) -> None:
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient.email], fail_silently=False))


def _remind(campaign, kind, today, recipient: User, open_items: int, subject: str, body: str) -> bool:
    _, created = ReviewReminder.objects.get_or_create(
        campaign=campaign, recipient=recipient, kind=kind, sent_on=today, defaults={"open_items": open_items})
    if created:
        _send(recipient, subject, body)
    return created


@transaction.atomic
def campaign_remind_and_escalate(*, campaign: ReviewCampaign, now=None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    campaign = ReviewCampaign.objects.select_for_update().select_related("organization").get(pk=campaign.pk)
    counts = {"reminders": 0, "escalation_emails": 0, "escalated": 0, "auto_revoked": 0}
    if campaign.status != ReviewCampaign.Status.OPEN:
        return counts
    kind = reminder_kind(campaign, today)
    if kind:
        pending = (ReviewItem.objects.filter(campaign=campaign, decision="", reviewer__isnull=False)
                   .values("reviewer").annotate(n=Count("pk")).order_by("reviewer"))
        by_user = {row["reviewer"]: row["n"] for row in pending}
        url = _queue_url(campaign)
        for user in User.objects.filter(pk__in=by_user, is_active=True).order_by("pk"):
            n = by_user[user.pk]
            when = (f"{(today - campaign.due_on).days} day(s) overdue" if kind == ReviewReminder.Kind.OVERDUE
                    else f"due {campaign.due_on:%A %d %B %Y}")
            counts["reminders"] += _remind(
                campaign, kind, today, user, n,
                f"PortalGov: {n} access-review item{'s' if n != 1 else ''} wait for you ({when})",
                f"{campaign.name} for {campaign.organization.legal_name} is {when}.\n\n"
                f"You have {n} portal account{'s' if n != 1 else ''} to keep, change or revoke:\n{url}\n")
    if escalation_due(campaign, today):
        counts.update(_escalate(campaign, now, today))
    return counts


def _escalate(campaign, now, today) -> dict:
    counts = {"escalated": 0, "auto_revoked": 0, "escalation_emails": 0}
    pending = ReviewItem.objects.filter(campaign=campaign, decision="")
    if campaign.undecided_rule == UndecidedRule.REVOKE:
        from .services import _apply, _reevaluate

        for item in pending.select_related("campaign", "credential").order_by("pk"):
            _apply(item, acting_user=JOB, decision=Decision.REVOKE,
                   reason=f"No decision by the due date {campaign.due_on:%Y-%m-%d}: the organization's rule "
                          "revokes undecided access.", keep_until=None, removed=[], now=now, in_bulk=False,
                   seconds=None)
            counts["auto_revoked"] += 1
        if counts["auto_revoked"]:
            _reevaluate(campaign.organization_id)
    else:
        counts["escalated"] = pending.filter(escalated_at__isnull=True).update(escalated_at=now)
    if counts["escalated"] or counts["auto_revoked"]:
        if campaign.escalated_on is None:
            campaign.escalated_on = today
            campaign.save(update_fields=["escalated_on"])
        record_event("review_campaign.escalated", actor=JOB, organization=campaign.organization_id, target=campaign,
                     changes={"escalated": [None, counts["escalated"]], "auto_revoked": [None, counts["auto_revoked"]]},
                     message=f"Undecided after the due date {campaign.due_on:%Y-%m-%d}; rule: "
                             f"{campaign.get_undecided_rule_display().lower()}.")
    waiting = ReviewItem.objects.filter(campaign=campaign).filter(
        Q(decision=Decision.NOT_SURE) | Q(decision="", escalated_at__isnull=False)).count()
    if waiting:
        admins = User.objects.filter(
            memberships__organization_id=campaign.organization_id, memberships__role=Role.ADMINISTRATOR,
            is_active=True).order_by("pk")
        url = _queue_url(campaign)
        for admin in admins:
            counts["escalation_emails"] += _remind(
                campaign, ReviewReminder.Kind.ESCALATION, today, admin, waiting,
                f"PortalGov: {campaign.name} is overdue; {waiting} item{'s' if waiting != 1 else ''} need you",
                f"{campaign.name} for {campaign.organization.legal_name} was due {campaign.due_on:%Y-%m-%d}.\n"
                f"{waiting} item(s) are escalated to the administrators: decide or reassign them:\n{url}\n")
    return counts


def remind_and_escalate_all(*, now=None, errors: list | None = None) -> dict:
    """The daily job: every open campaign; then the findings of the organizations involved.
    A campaign that fails is recorded in `errors` and the others go on."""
    from findings.services import findings_evaluate_organization

    from .jobs import record_error

    errors = [] if errors is None else errors
    now = now or timezone.now()
    totals: dict = {"campaigns": 0, "failed": 0}
    orgs = {}
    for campaign in ReviewCampaign.objects.filter(status=ReviewCampaign.Status.OPEN).select_related(
            "organization").order_by("pk"):
        totals["campaigns"] += 1
        try:
            for key, value in campaign_remind_and_escalate(campaign=campaign, now=now).items():
                totals[key] = totals.get(key, 0) + value
        except Exception as exc:  # noqa: BLE001 - recorded on the job run; the others go on
            record_error(errors, campaign.organization, exc)
            totals["failed"] += 1
        orgs[campaign.organization_id] = campaign.organization
    for org in orgs.values():
        try:
            findings_evaluate_organization(organization=org, now=now)  # the overdue-review finding
        except Exception as exc:  # noqa: BLE001
            record_error(errors, org, exc)
            totals["failed"] += 1
    return totals
