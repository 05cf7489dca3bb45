"""Review decisions, delegation, reassignment, remediation and sign-off.

Every function takes the acting user, checks the rule itself (views only translate), refuses bad
input with a ValidationError that says what to do, changes nothing when it refuses, and records the
audit event in the same transaction. Launching lives in reviews.launch, reminders in reviews.reminders.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from access.models import LIVE_STATUSES, AccountStatus, OrganizationCredential, PortalAccount, ProvisioningTask
from access.policy_services import credential_require_rotation
from accounts import roles
from audits.services import record_event

from .common import actor_label, as_user, user_perms
from .models import (
    FINAL_DECISIONS,
    FLAG_LABELS,
    FLAGGED,
    Decision,
    ReviewCampaign,
    ReviewDecision,
    ReviewItem,
    ReviewSettings,
)

MAX_BULK = 500
REASON_FLAGS = {"open_findings": "it has open findings", "beyond_policy": "it holds functions beyond policy",
                "terminated": "the holder has left"}


def own_decision_reasons(item: ReviewItem) -> list[str]:
    """Why this item must be decided on its own, with its own reason (empty: a bulk decision may cover it).

    The one rule for bulk decisions (DESIGN invariant 12): flagged at launch (left, on leave, inactive, beyond
    policy, shared user ID, deactivation pending), a keep that needs its own reason (open findings), or, since
    launch, the holder has left or the account's deactivation is pending. Reads item.holder and
    item.portal_account: select_related them for a list.
    """
    flags = set(item.flags or [])
    reasons = [FLAG_LABELS[f].lower() for f in FLAG_LABELS if f in (FLAGGED | set(REASON_FLAGS)) and f in flags]
    holder = item.holder if item.holder_id else None
    if "terminated" not in flags and holder is not None and (
            holder.employment_status == "terminated" or (holder.end_date and holder.end_date < timezone.localdate())):
        reasons.append("left the practice since launch")
    account = item.portal_account if item.portal_account_id else None
    if "deactivation_pending" not in flags and account is not None and (
            account.status == AccountStatus.DEACTIVATION_PENDING):
        reasons.append("deactivation pending")
    return reasons


def reason_required_because(item: ReviewItem, decision: str) -> str | None:
    """Why this decision needs a reason, or None. Removing access always says why; keeping access
    that has open findings, exceeds policy or belongs to a leaver does too."""
    if decision in (Decision.CHANGE, Decision.REVOKE, Decision.NOT_SURE):
        return f"say why you chose {Decision(decision).label.lower()}"
    hits = [text for flag, text in REASON_FLAGS.items() if flag in (item.flags or [])]
    if decision == Decision.KEEP and hits:
        return "keeping this access needs a reason: " + " and ".join(hits)
    return None


def _is_holder(item: ReviewItem, user) -> bool:
    """Self-review: the reviewer's own staff record holds the account (or is a custodian of the
    organization credential)."""
    if user is None:
        return False
    if item.kind == ReviewItem.Kind.ACCOUNT:
        return item.holder is not None and item.holder.user_id == user.pk
    return item.credential.custodians.filter(user=user).exists()


def _check_open(campaign: ReviewCampaign) -> None:
    if campaign.status == ReviewCampaign.Status.CLOSED:
        raise ValidationError(f"{campaign.name} was signed off on {campaign.closed_at:%Y-%m-%d}: its decisions are "
                              "final and nothing more can be decided in it.")
    if campaign.status != ReviewCampaign.Status.OPEN:
        raise ValidationError(f"{campaign.name} is still launching; try again in a minute.")


def _check_may_decide(item: ReviewItem, user, perms) -> None:
    _check_open(item.campaign)
    if user is None:
        raise ValidationError("A review decision is made by a person.")
    is_admin = roles.MANAGE_PORTAL_ACCOUNTS in perms
    if item.is_decided:
        # A keep may be revised until the campaign closes (by whoever made it, or an administrator);
        # a change or revoke has already sent work to the portal administrator, so it stands.
        already = (f"{item} was already decided ({item.get_decision_display().lower()}) by "
                   f"{item.decided_by_label} on {item.decided_at:%Y-%m-%d}")
        if item.decision != Decision.KEEP:
            raise ValidationError(f"{already}; the portal administrator has the work, so the decision is final.")
        if item.decided_by_id != user.pk and not is_admin:
            raise ValidationError(f"{already}; only they or an administrator may revise it before the "
                                  "campaign closes.")
    if _is_holder(item, user):
        raise ValidationError(f"You hold this access yourself ({item}); someone else must review it. "
                              "Self-review is not allowed.")
    if item.is_decided:
        return
    if item.decision == Decision.NOT_SURE:
        if not is_admin:
            raise ValidationError(f"{item} was marked “not sure” and waits for an administrator.")
        return
    if item.escalated_at and is_admin:
        return  # an escalated item may be decided by an administrator as well as by its reviewer
    if roles.RUN_ACCESS_REVIEWS not in perms:
        raise ValidationError("Your role in this organization does not run access reviews.")
    if item.reviewer_id != user.pk:
        if item.reviewer_id is None:
            raise ValidationError(f"{item} has no reviewer yet; an administrator assigns one.")
        who = item.reviewer.full_name or item.reviewer.email
        raise ValidationError(f"{item} is assigned to {who}, not to you.")


def _clean_decision(item: ReviewItem, *, decision: str, reason: str, keep_until, functions_to_remove,
                    today: datetime.date) -> tuple[str, str, datetime.date | None, list[str]]:
    if decision not in Decision.values:
        raise ValidationError({"decision": "Choose keep, change, revoke or not sure."})
    reason = (reason or "").strip()
    why = reason_required_because(item, decision)
    if why and not reason:
        raise ValidationError({"reason": f"A reason is required: {why}."})
    if keep_until and decision != Decision.KEEP:
        raise ValidationError({"keep_until": "“Keep until” goes with a keep decision only."})
    if keep_until and keep_until <= today:
        raise ValidationError({"keep_until": "“Keep until” must be a date after today."})
    removed: list[str] = []
    if decision == Decision.CHANGE:
        if item.kind != ReviewItem.Kind.ACCOUNT:
            raise ValidationError({"decision": "An organization credential is kept or revoked (rotated), not changed."})
        held = [f["code"] for f in item.snapshot.get("functions", [])]
        removed = sorted(set(functions_to_remove or []))
        if not removed:
            raise ValidationError({"functions_to_remove": "Choose the functions to remove."})
        unknown = set(removed) - set(held)
        if unknown:
            raise ValidationError({"functions_to_remove": f"{', '.join(sorted(unknown))} is not held on this account."})
        if set(removed) >= set(held):
            raise ValidationError({"functions_to_remove": "Removing every function is a revoke: choose revoke."})
    return decision, reason, keep_until, removed


def _remediate(item: ReviewItem, acting_user) -> ProvisioningTask | None:
    """Revoke and change become work for the portal's administrator, through the access services."""
    from access import services as access_services

    note = f"{item.campaign.name}: {item.get_decision_display().lower()} decided by {item.decided_by_label}. {item.reason}"
    if item.kind == ReviewItem.Kind.CREDENTIAL:
        if item.decision == Decision.REVOKE:
            _credential_flag(item.credential, acting_user, f"{item.campaign.name}: revoked by {item.decided_by_label}")
        return None
    account = PortalAccount.objects.get(pk=item.portal_account_id)
    if item.decision == Decision.REVOKE:
        if account.status not in LIVE_STATUSES:
            return None  # already deactivated since launch: nothing left to do
        if account.status in (AccountStatus.ACTIVE, AccountStatus.SUSPENDED):
            access_services.portal_account_transition(
                account=account, to_status=AccountStatus.DEACTIVATION_PENDING, acting_user=acting_user,
                reason=f"{item.campaign.name}: revoked", reevaluate=False)
        return access_services.provisioning_task_create(account=account, kind=ProvisioningTask.Kind.DEACTIVATE,
                                                        acting_user=acting_user, notes=note)
    if item.decision == Decision.CHANGE:
        # task_complete sets the account's functions to the task's functions: give it what stays.
        keep = sorted(set(account.functions.values_list("code", flat=True)) - set(item.functions_removed))
        return access_services.provisioning_task_create(
            account=account, kind=ProvisioningTask.Kind.CHANGE, acting_user=acting_user, functions=keep,
            notes=f"{note} Remove: {', '.join(item.functions_removed_names)}.")
    return None


def _credential_flag(credential: OrganizationCredential, acting_user, reason: str) -> None:
    if not credential.rotation_required:
        credential_require_rotation(credential=credential, acting_user=acting_user, reason=reason)


def _apply(item: ReviewItem, *, acting_user, decision, reason, keep_until, removed, now, in_bulk,
           seconds: int | None) -> ReviewItem:
    user = as_user(acting_user)
    label = actor_label(acting_user)
    before = item.decision
    item.decision = decision
    item.reason = reason
    item.keep_until = keep_until
    item.functions_removed = removed
    if decision == Decision.NOT_SURE:
        item.escalated_at = item.escalated_at or now
    else:
        item.decided_by = user
        item.decided_by_label = label
        item.decided_at = now
        item.decided_in_bulk = in_bulk
        item.decision_seconds = seconds
    ReviewDecision.objects.create(item=item, decision=decision, reason=reason, keep_until=keep_until,
                                  functions_removed=removed, decided_by=user, decided_by_label=label,
                                  decided_at=now, in_bulk=in_bulk, snapshot_seen=item.snapshot)
    if decision in (Decision.REVOKE, Decision.CHANGE):
        item.remediation_task = _remediate(item, acting_user)
    item.save()
    record_event(
        "review_item.decided", actor=acting_user, organization=item.organization_id, target=item,
        changes={"decision": [before or None, decision],
                 **({"keep_until": [None, keep_until.isoformat()]} if keep_until else {}),
                 **({"functions_removed": [None, removed]} if removed else {})},
        message=reason,
        extra={"campaign": item.campaign.period, "in_bulk": in_bulk, "seconds": seconds, "flags": item.flags,
               "snapshot": item.snapshot,
               "remediation_task": item.remediation_task_id},
    )
    return item


def _seconds_since_last(campaign_id: int, user, now) -> int | None:
    last = ReviewItem.objects.filter(campaign_id=campaign_id, decided_by=user).aggregate(m=Max("decided_at"))["m"]
    return int((now - last).total_seconds()) if last else None


def _reevaluate(organization_id) -> None:
    from accounts.models import Organization
    from findings.services import findings_evaluate_organization

    findings_evaluate_organization(organization=Organization.objects.get(pk=organization_id))


@transaction.atomic
def item_decide(*, item: ReviewItem, acting_user, decision: str, reason: str = "",
                keep_until: datetime.date | None = None, functions_to_remove: Iterable[str] = ()) -> ReviewItem:
    """One reviewer decision; "not sure" sends the item to an administrator. A keep may be revised
    until the campaign closes; a change or revoke is final (its remediation is under way)."""
    item = (ReviewItem.objects.select_for_update(of=("self",))
            .select_related("campaign", "holder", "reviewer", "credential").get(pk=item.pk))
    user = as_user(acting_user)
    now = timezone.now()
    _check_may_decide(item, user, user_perms(user, item.organization_id))
    decision, reason, keep_until, removed = _clean_decision(
        item, decision=decision, reason=reason, keep_until=keep_until, functions_to_remove=functions_to_remove,
        today=timezone.localdate(now))
    item = _apply(item, acting_user=acting_user, decision=decision, reason=reason, keep_until=keep_until,
                  removed=removed, now=now, in_bulk=False, seconds=_seconds_since_last(item.campaign_id, user, now))
    if decision in (Decision.REVOKE, Decision.CHANGE):
        _reevaluate(item.organization_id)
    return item


# Decisions that cannot be revised once recorded (their remediation starts at once): the pages show what
# they set in motion and ask to confirm.
IRREVERSIBLE_DECISIONS = frozenset({Decision.REVOKE, Decision.CHANGE})


def decision_consequences(item: ReviewItem, decision: str, removed: Iterable[str] = ()) -> list[str]:
    """What a revoke or change will set in motion, in words, as _remediate will do it."""
    from access import services as access_services

    lines = []
    if item.kind == ReviewItem.Kind.CREDENTIAL:
        if decision == Decision.REVOKE:
            credential = item.credential
            lines.append(f"The shared login “{credential.label}” ({credential.login_id}) is marked for rotation: "
                         "its custodians change the password and record the rotation." if not
                         credential.rotation_required else
                         f"The shared login “{credential.label}” is already marked for rotation.")
    else:
        account = (PortalAccount.objects.select_related("staff_member", "enrollment__portal")
                   .get(pk=item.portal_account_id))
        where = f"{account.staff_member.full_name}'s {account.enrollment.portal.name} account"
        if account.status not in LIVE_STATUSES:
            lines.append(f"{where} is already {account.get_status_display().lower()}: nothing is left to do on "
                         "the portal.")
        elif decision == Decision.REVOKE:
            if account.status in (AccountStatus.ACTIVE, AccountStatus.SUSPENDED):
                lines += access_services.transition_consequences(account, AccountStatus.DEACTIVATION_PENDING)
            else:
                lines.append(access_services.task_consequence(account, ProvisioningTask.Kind.DEACTIVATE))
        elif decision == Decision.CHANGE:
            names = {f["code"]: f["name"] for f in item.snapshot.get("functions", [])}
            gone = [names.get(c, c) for c in sorted(removed)]
            kept = [n for c, n in names.items() if c not in set(removed)]
            lines.append(f"{where} loses {', '.join(gone)}; it keeps {', '.join(kept) or 'no function'}.")
            lines.append(access_services.task_consequence(account, ProvisioningTask.Kind.CHANGE))
    lines.append(f"The decision is final: a {Decision(decision).label.lower()} cannot be revised, even before the "
                 "campaign closes, and open findings are re-evaluated at once.")
    return lines


def item_decision_preview(*, item: ReviewItem, acting_user, decision: str, reason: str = "",
                          keep_until: datetime.date | None = None, functions_to_remove: Iterable[str] = ()) -> list[str]:
    """Checks a decision exactly as item_decide will, without recording it, and says what it will do."""
    item = ReviewItem.objects.select_related("campaign", "holder", "reviewer", "credential").get(pk=item.pk)
    user = as_user(acting_user)
    _check_may_decide(item, user, user_perms(user, item.organization_id))
    decision, _reason, _keep_until, removed = _clean_decision(
        item, decision=decision, reason=reason, keep_until=keep_until, functions_to_remove=functions_to_remove,
        today=timezone.localdate())
    return decision_consequences(item, decision, removed)


class BulkResult(list):
    """The items a bulk decision decided; .skipped lists (item, reasons) for those it left to be decided one
    by one (own_decision_reasons)."""

    def __init__(self, decided, skipped):
        super().__init__(decided)
        self.skipped = skipped


def _bulk_choose(*, organization, item_ids: Iterable[int], acting_user, decision: str, reason: str,
                 lock: bool) -> tuple[list, list, str]:
    """The checks of a bulk decision: (items it decides, (item, reasons) it leaves to be decided one by one,
    the cleaned reason). All or nothing: any other item that may not take the decision refuses the lot."""
    ids = sorted({int(i) for i in item_ids})
    if not ids:
        raise ValidationError("Select at least one item.")
    if len(ids) > MAX_BULK:
        raise ValidationError(f"Decide at most {MAX_BULK} items at once.")
    if decision not in (Decision.KEEP, Decision.REVOKE, Decision.NOT_SURE):
        raise ValidationError({"decision": "Bulk decisions are keep, revoke or not sure; change one item at a time."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A bulk decision needs one reason that covers every selected item."})
    user = as_user(acting_user)
    perms = user_perms(user, organization)
    items = ReviewItem.objects.filter(organization=organization, pk__in=ids)
    if lock:
        items = items.select_for_update(of=("self",))
    items = list(items.select_related("campaign", "holder", "reviewer", "credential",
                                      "portal_account__enrollment").order_by("pk"))
    if len(items) != len(ids):
        raise ValidationError("Some selected items do not exist in this organization.")
    today = timezone.localdate()
    skipped, chosen = [], []
    for item in items:
        own = own_decision_reasons(item)
        if own:
            skipped.append((item, own))
            continue
        try:
            _check_may_decide(item, user, perms)
            _clean_decision(item, decision=decision, reason=reason, keep_until=None, functions_to_remove=(),
                            today=today)
        except ValidationError as exc:
            raise ValidationError(f"Nothing was decided. {item}: {' '.join(exc.messages)}") from exc
        chosen.append(item)
    return chosen, skipped, reason


def items_bulk_preview(*, organization, item_ids: Iterable[int], acting_user, decision: str,
                       reason: str) -> BulkResult:
    """Checks a bulk decision as items_decide_bulk will, without recording it: the items it would decide,
    .skipped, and .summary, the lines saying what a revoke sets in motion (a few queries, whatever the count)."""
    from access import services as access_services

    chosen, skipped, _reason = _bulk_choose(organization=organization, item_ids=item_ids, acting_user=acting_user,
                                            decision=decision, reason=reason, lock=False)
    result = BulkResult(chosen, skipped)
    result.summary = []
    if decision != Decision.REVOKE:
        return result
    accounts = [i.portal_account for i in chosen if i.kind == ReviewItem.Kind.ACCOUNT]
    credentials = [i.credential for i in chosen if i.kind == ReviewItem.Kind.CREDENTIAL]
    live = [a for a in accounts if a.status in LIVE_STATUSES]
    moving = [a for a in live if a.status in (AccountStatus.ACTIVE, AccountStatus.SUSPENDED)]
    if moving:
        result.summary.append(f"{len(moving)} portal account{'s move' if len(moving) != 1 else ' moves'} to "
                              "deactivation pending (this cannot be undone).")
    if live:
        have_task = set(ProvisioningTask.objects.filter(
            portal_account__in=live, kind=ProvisioningTask.Kind.DEACTIVATE,
            status=ProvisioningTask.Status.OPEN).values_list("portal_account_id", flat=True))
        assignees, per_person = {}, {}
        for account in live:
            if account.pk in have_task:
                continue
            if account.enrollment_id not in assignees:
                assignees[account.enrollment_id] = access_services.enrollment_task_assignee(account.enrollment)
            who = assignees[account.enrollment_id]
            name = who.full_name if who else "no one (the portal has no active portal administrator)"
            per_person[name] = per_person.get(name, 0) + 1
        for name, n in sorted(per_person.items()):
            result.summary.append(f"{n} deactivation task{'s go' if n != 1 else ' goes'} to {name}.")
        if have_task:
            result.summary.append(f"{len(have_task)} account{'s already have' if len(have_task) != 1 else ' already has'}"
                                  " an open deactivation task; it stays.")
    if len(live) < len(accounts):
        n = len(accounts) - len(live)
        result.summary.append(f"{n} account{'s are' if n != 1 else ' is'} already deactivated: nothing to do.")
    if credentials:
        result.summary.append(f"{len(credentials)} shared login{'s are' if len(credentials) != 1 else ' is'} marked "
                              "for rotation.")
    result.summary.append("Revokes are final: they cannot be revised, even before the campaign closes.")
    return result


@transaction.atomic
def items_decide_bulk(*, organization, item_ids: Iterable[int], acting_user, decision: str,
                      reason: str) -> BulkResult:
    """One decision with one reason for a filtered set. Flagged items are skipped (decided one by one with
    their own reason; the result says which and why). Otherwise all or nothing: if any other item may not
    take the decision, nothing is decided and the message names the item."""
    chosen, skipped, reason = _bulk_choose(organization=organization, item_ids=item_ids, acting_user=acting_user,
                                           decision=decision, reason=reason, lock=True)
    user = as_user(acting_user)
    now = timezone.now()
    elapsed = {}
    for campaign_id in {i.campaign_id for i in chosen}:
        elapsed[campaign_id] = _seconds_since_last(campaign_id, user, now)
    done = []
    for item in chosen:
        share = elapsed[item.campaign_id]
        n = sum(1 for i in chosen if i.campaign_id == item.campaign_id)
        done.append(_apply(item, acting_user=acting_user, decision=decision, reason=reason, keep_until=None,
                           removed=[], now=now, in_bulk=True, seconds=(share // n) if share is not None else 0))
    if skipped:
        record_event("review_item.bulk_skipped", actor=acting_user, organization=organization,
                     message=f"{len(skipped)} flagged item(s) left out of a bulk {decision}: decided one by one",
                     extra={"items": [i.pk for i, _ in skipped],
                            "why": {str(i.pk): own for i, own in skipped}})
    if decision == Decision.REVOKE and done:
        _reevaluate(organization.pk)
    return BulkResult(done, skipped)


def _check_new_reviewer(item: ReviewItem, to_user) -> None:
    if to_user is None:
        raise ValidationError({"to_user": "Choose who should review this item."})
    if roles.RUN_ACCESS_REVIEWS not in user_perms(to_user, item.organization_id):
        raise ValidationError({"to_user": f"{to_user.full_name or to_user.email} does not run access reviews here."})
    if _is_holder(item, to_user):
        raise ValidationError({"to_user": f"{to_user.full_name or to_user.email} holds this access; "
                                          "nobody reviews their own access."})
    if item.reviewer_id == to_user.pk:
        raise ValidationError({"to_user": "That person already reviews this item."})


@transaction.atomic
def item_delegate(*, item: ReviewItem, acting_user, to_user, reason: str = "") -> ReviewItem:
    """A reviewer hands an item to another reviewer; the delegation is recorded."""
    item = ReviewItem.objects.select_for_update(of=("self",)).select_related(
        "campaign", "holder", "reviewer", "credential").get(pk=item.pk)
    user = as_user(acting_user)
    _check_open(item.campaign)
    if item.decision:
        raise ValidationError(f"{item} is no longer pending; only pending items are delegated.")
    if user is None or item.reviewer_id != user.pk:
        raise ValidationError("Only the item's reviewer can delegate it; administrators reassign.")
    _check_new_reviewer(item, to_user)
    before = item.reviewer
    item.reviewer = to_user
    item.reviewer_basis = ReviewItem.ReviewerBasis.DELEGATED
    item.delegated_by = user
    item.save(update_fields=["reviewer", "reviewer_basis", "delegated_by"])
    record_event("review_item.delegated", actor=acting_user, organization=item.organization_id, target=item,
                 changes={"reviewer": [before.email if before else None, to_user.email]}, message=reason)
    return item


@transaction.atomic
def item_reassign(*, item: ReviewItem, acting_user, to_user, reason: str = "") -> ReviewItem:
    """An administrator moves an item (pending, escalated or "not sure") to another reviewer."""
    item = ReviewItem.objects.select_for_update(of=("self",)).select_related(
        "campaign", "holder", "reviewer", "credential").get(pk=item.pk)
    user = as_user(acting_user)
    _check_open(item.campaign)
    if roles.MANAGE_PORTAL_ACCOUNTS not in user_perms(user, item.organization_id):
        raise ValidationError("Only an administrator reassigns review items.")
    if item.is_decided:
        raise ValidationError(f"{item} is already decided; decisions are final.")
    _check_new_reviewer(item, to_user)
    before = item.reviewer
    item.reviewer = to_user
    item.reviewer_basis = ReviewItem.ReviewerBasis.REASSIGNED
    fields = ["reviewer", "reviewer_basis"]
    if item.decision == Decision.NOT_SURE:
        item.decision = ""  # back to a reviewer who can decide it
        fields.append("decision")
    item.save(update_fields=fields)
    record_event("review_item.reassigned", actor=acting_user, organization=item.organization_id, target=item,
                 changes={"reviewer": [before.email if before else None, to_user.email]}, message=reason)
    return item


def remediation_done(item: ReviewItem) -> bool:
    if item.decision not in (Decision.REVOKE, Decision.CHANGE):
        return True
    if item.kind == ReviewItem.Kind.CREDENTIAL:
        cred = item.credential
        return (not cred.rotation_required) and bool(cred.rotated_on and item.decided_at
                                                     and cred.rotated_on >= item.decided_at.date())
    task = item.remediation_task
    if task is None:
        # No task was needed (the account was already gone) unless the account is still live.
        return item.portal_account.status not in LIVE_STATUSES
    if task.status == ProvisioningTask.Status.DONE:
        return True
    # A deactivation task is cancelled when the account gets deactivated some other way.
    return task.status == ProvisioningTask.Status.CANCELLED and item.portal_account.status == AccountStatus.DEACTIVATED


def sign_off_blockers(campaign: ReviewCampaign, *, progress: dict | None = None) -> list[str]:
    """What stands between this campaign and sign-off, in words (empty: it may be signed off). `progress`:
    reviews.selectors.campaign_progress(campaign) when the caller has it (its counts save two queries)."""
    blockers = []
    pending = (progress["total"] - progress["decided"] if progress
               else campaign.items.exclude(decision__in=FINAL_DECISIONS).count())
    if pending:
        blockers.append(f"{pending} item{'s are' if pending != 1 else ' is'} still undecided.")
    open_remediation = sum(1 for item in campaign.items.filter(decision__in=[Decision.REVOKE, Decision.CHANGE])
                           .select_related("remediation_task", "portal_account", "credential")
                           .iterator(chunk_size=2000)
                           if not remediation_done(item))
    if open_remediation:
        blockers.append(f"{open_remediation} remediation task{'s are' if open_remediation != 1 else ' is'} "
                        "not done yet.")
    # Kept in bulk before bulk decisions skipped flagged items: the rubber stamp stops sign-off until each is
    # decided again on its own (a keep may be revised until the campaign closes).
    bulk_flagged = (progress["kept_in_bulk_flagged"] if progress else
                    campaign.items.filter(flagged=True, decided_in_bulk=True, decision=Decision.KEEP).count())
    if bulk_flagged:
        blockers.append(f"{bulk_flagged} flagged item{'s were' if bulk_flagged != 1 else ' was'} kept in bulk; "
                        "decide each on its own, with its own reason.")
    return blockers


def access_now(item: ReviewItem) -> dict:
    if item.kind == ReviewItem.Kind.CREDENTIAL:
        cred = item.credential
        return {"rotation_required": cred.rotation_required,
                "rotated_on": cred.rotated_on.isoformat() if cred.rotated_on else None,
                "custodians": sorted(c.full_name for c in cred.custodians.all())}
    account = item.portal_account
    return {"status": account.status, "functions": sorted(f.code for f in account.functions.all())}


@transaction.atomic
def campaign_sign_off(*, campaign: ReviewCampaign, acting_user, note: str = "") -> ReviewCampaign:
    """An administrator closes the campaign once every item is decided and every remediation task
    is done. The access at close is recorded on each item for the evidence."""
    campaign = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    user = as_user(acting_user)
    if roles.MANAGE_PORTAL_ACCOUNTS not in user_perms(user, campaign.organization_id):
        raise ValidationError("Only an administrator signs off an access review.")
    _check_open(campaign)
    blockers = sign_off_blockers(campaign)
    if blockers:
        raise ValidationError("The campaign cannot be signed off yet: " + " ".join(blockers))
    count, last_pk = 0, 0
    while True:  # in batches: a 100,000-item campaign never sits in memory at once
        items = list(campaign.items.filter(pk__gt=last_pk).order_by("pk")
                     .select_related("portal_account", "credential")
                     .prefetch_related("portal_account__functions", "credential__custodians")[:2000])
        if not items:
            break
        for item in items:
            item.access_at_close = access_now(item)
        ReviewItem.objects.bulk_update(items, ["access_at_close"])
        count += len(items)
        last_pk = items[-1].pk
    now = timezone.now()
    campaign.status = ReviewCampaign.Status.CLOSED
    campaign.closed_at = now
    campaign.signed_off_by = user
    campaign.sign_off_note = (note or "").strip()
    campaign.save(update_fields=["status", "closed_at", "signed_off_by", "sign_off_note"])
    record_event("review_campaign.signed_off", actor=acting_user, organization=campaign.organization_id,
                 target=campaign, changes={"status": ["open", "closed"]}, message=campaign.sign_off_note,
                 extra={"items": count})
    _reevaluate(campaign.organization_id)  # the overdue-review finding resolves
    return campaign


@transaction.atomic
def remediation_complete(*, item: ReviewItem, acting_user, payer_confirmation: str) -> ProvisioningTask:
    """Record the portal administrator's work from the campaign page (through access.services)."""
    from access.services import task_complete

    item = ReviewItem.objects.select_related("remediation_task", "campaign").get(pk=item.pk)
    if roles.MANAGE_PORTAL_ACCOUNTS not in user_perms(as_user(acting_user), item.organization_id):
        raise ValidationError("Only an administrator records remediation work.")
    if item.remediation_task is None:
        raise ValidationError(f"{item} has no remediation task.")
    return task_complete(task=item.remediation_task, acting_user=acting_user, payer_confirmation=payer_confirmation)


@transaction.atomic
def review_settings_update(*, organization, acting_user, **fields) -> ReviewSettings:
    if roles.MANAGE_PORTAL_ACCOUNTS not in user_perms(as_user(acting_user), organization):
        raise ValidationError("Only an administrator changes how access reviews run.")
    cfg, _ = ReviewSettings.objects.get_or_create(organization=organization,
                                                  defaults={"reminder_days_before": [3, 1]})
    changes = {}
    for name, value in fields.items():
        old = getattr(cfg, name)
        if old != value:
            changes[name] = [old, value]
            setattr(cfg, name, value)
    if changes:
        cfg.full_clean()
        cfg.save()
        record_event("review_settings.updated", actor=acting_user, organization=organization, target=cfg,
                     changes=changes)
    return cfg
