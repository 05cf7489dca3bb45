"""Reads for the review pages: a fixed number of queries however many items there are."""

from __future__ import annotations

from django.db.models import Avg, Count, Q, QuerySet, Sum

from accounts import roles
from accounts.models import Role, User

from .models import FINAL_DECISIONS, Decision, ReviewCampaign, ReviewItem

# Rubber-stamp thresholds (after the practitioner literature: >95% approvals, <10 s per decision).
FAST_DECISION_SECONDS = 10
ALL_KEEP_MIN_DECISIONS = 10


def queue_for(*, user, organization, perms, filters: dict | None = None) -> QuerySet[ReviewItem]:
    """The reviewer's queue: their pending items in open campaigns; administrators also see the
    items sent to them ("not sure") and the escalated ones."""
    filters = filters or {}
    if filters.get("kept"):  # my keeps, which may still be revised while the campaign is open
        mine = Q(decided_by=user, decision=Decision.KEEP)
    else:
        mine = Q(reviewer=user, decision="")
        if roles.MANAGE_PORTAL_ACCOUNTS in perms:
            mine |= Q(decision=Decision.NOT_SURE) | Q(decision="", escalated_at__isnull=False)
    qs = (ReviewItem.objects.filter(organization=organization, campaign__status=ReviewCampaign.Status.OPEN)
          .filter(mine).select_related("campaign", "holder", "portal_account"))
    if filters.get("q"):
        qs = qs.filter(Q(holder_name__icontains=filters["q"]) | Q(portal_name__icontains=filters["q"]))
    if filters.get("flagged"):
        qs = qs.filter(flagged=True)
    if filters.get("portal"):
        qs = qs.filter(portal_name=filters["portal"])
    return qs.order_by("campaign__due_on", "campaign_id", "holder_name", "portal_name", "pk")


def queue_page(ids) -> list[ReviewItem]:
    """The queue's items with these ids (a sliced values_list of queue_for(): one query, the slice as a
    subquery), in the queue's order, with what the cards and own_decision_reasons() read."""
    return list(ReviewItem.objects.filter(pk__in=ids).select_related("campaign", "holder", "portal_account")
                .only(*_QUEUE_FIELDS).order_by("campaign__due_on", "campaign_id", "holder_name", "portal_name", "pk"))


_QUEUE_FIELDS = (
    "campaign_id", "organization_id", "kind", "portal_account_id", "credential_id", "holder_id", "holder_name",
    "portal_name", "snapshot", "flags", "flagged", "reviewer_id", "decision", "reason", "keep_until",
    "functions_removed", "decided_by_label", "decided_at", "escalated_at", "remediation_task_id",
    "campaign__name", "campaign__due_on", "campaign__status",
    "holder__employment_status", "holder__end_date", "portal_account__status",
)


def campaign_items(campaign, filters: dict | None = None) -> QuerySet[ReviewItem]:
    filters = filters or {}
    qs = campaign.items.select_related("reviewer", "remediation_task")
    state = filters.get("state")
    if state == "pending":
        qs = qs.filter(decision="")
    elif state == "not_sure":
        qs = qs.filter(decision=Decision.NOT_SURE)
    elif state in Decision.values:
        qs = qs.filter(decision=state)
    if filters.get("reviewer"):
        qs = qs.filter(reviewer_id=filters["reviewer"])
    if filters.get("flagged"):
        qs = qs.filter(flagged=True)
    if filters.get("q"):
        qs = qs.filter(Q(holder_name__icontains=filters["q"]) | Q(portal_name__icontains=filters["q"]))
    return qs.order_by("holder_name", "portal_name", "pk")


def campaign_page(ids) -> list[ReviewItem]:
    """The campaign page's items with these ids (a sliced values_list of campaign_items(): one query, the slice
    as a subquery), in its order, with the columns its table shows: no snapshot, no access at close."""
    return list(ReviewItem.objects.filter(pk__in=ids).select_related("reviewer")
                .only("campaign_id", "holder_name", "portal_name", "flags", "reviewer_id", "reviewer_basis",
                      "decision", "reason", "decided_by_label", "decided_at", "decided_in_bulk", "escalated_at",
                      "reviewer__full_name", "reviewer__email")
                .order_by("holder_name", "portal_name", "pk"))


_PROGRESS_COUNTS = {
    "total": Count("pk"), "decided": Count("pk", filter=Q(decision__in=FINAL_DECISIONS)),
    "not_sure": Count("pk", filter=Q(decision=Decision.NOT_SURE)), "pending": Count("pk", filter=Q(decision="")),
    "keep": Count("pk", filter=Q(decision=Decision.KEEP)), "change": Count("pk", filter=Q(decision=Decision.CHANGE)),
    "revoke": Count("pk", filter=Q(decision=Decision.REVOKE)),
    "escalated": Count("pk", filter=Q(escalated_at__isnull=False) & ~Q(decision__in=FINAL_DECISIONS)),
    "kept_in_bulk_flagged": Count("pk", filter=Q(flagged=True, decided_in_bulk=True, decision=Decision.KEEP)),
}


def campaign_progress(campaign) -> dict:
    agg = campaign.items.aggregate(**_PROGRESS_COUNTS)
    agg["percent"] = round(100 * agg["decided"] / agg["total"]) if agg["total"] else 100
    return agg


def campaign_overview(campaign) -> tuple[dict, list[dict]]:
    """campaign_progress() and reviewer_signals() from one pass over the campaign's items (grouped by reviewer
    and decider, folded here) where they took three: the campaign page's figures."""
    final = Q(decision__in=FINAL_DECISIONS)
    groups = list(campaign.items.values("reviewer_id", "decided_by_id").annotate(
        **_PROGRESS_COUNTS,
        waiting=Count("pk", filter=Q(decision__in=["", Decision.NOT_SURE])),
        bulk=Count("pk", filter=final & Q(decided_in_bulk=True)),
        flagged_keeps=Count("pk", filter=Q(decision=Decision.KEEP, flagged=True)),
        seconds=Sum("decision_seconds", filter=final), timed=Count("decision_seconds", filter=final),
    ).order_by())
    progress = {key: sum(g[key] for g in groups) for key in _PROGRESS_COUNTS}
    progress["percent"] = round(100 * progress["decided"] / progress["total"]) if progress["total"] else 100
    pending, decided = {}, {}
    for g in groups:
        if g["reviewer_id"] is not None and g["waiting"]:
            pending[g["reviewer_id"]] = pending.get(g["reviewer_id"], 0) + g["waiting"]
        if g["decided_by_id"] is not None and g["decided"]:
            d = decided.setdefault(g["decided_by_id"], {"decided": 0, "keeps": 0, "bulk": 0, "flagged_keeps": 0,
                                                        "seconds": 0, "timed": 0})
            for key in d:
                d[key] += g["keep" if key == "keeps" else key] or 0
    for d in decided.values():
        d["avg_seconds"] = d["seconds"] / d["timed"] if d["timed"] else None
    return progress, _signals(pending, decided)


def reviewer_signals(campaign) -> list[dict]:
    """Per reviewer: progress, and the rubber-stamp signals (share of keeps, time per decision,
    bulk decisions, keeps of accounts flagged terminated, on leave, inactive or beyond policy)."""
    pending = dict(campaign.items.filter(decision__in=["", Decision.NOT_SURE]).exclude(reviewer__isnull=True)
                   .values_list("reviewer").annotate(n=Count("pk")).order_by())
    decided = {
        row["decided_by"]: row for row in campaign.items.filter(decision__in=FINAL_DECISIONS,
                                                                 decided_by__isnull=False)
        .values("decided_by").annotate(
            decided=Count("pk"), keeps=Count("pk", filter=Q(decision=Decision.KEEP)),
            bulk=Count("pk", filter=Q(decided_in_bulk=True)), avg_seconds=Avg("decision_seconds"),
            flagged_keeps=Count("pk", filter=Q(decision=Decision.KEEP, flagged=True)),
        ).order_by()
    }
    return _signals(pending, decided)


def _signals(pending: dict, decided: dict) -> list[dict]:
    ids = set(pending) | set(decided)
    users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    rows = []
    for uid in sorted(ids, key=lambda i: (users[i].full_name or users[i].email).lower()):
        d = decided.get(uid, {})
        n = d.get("decided", 0)
        keep_share = round(100 * d.get("keeps", 0) / n) if n else None
        avg = round(d["avg_seconds"]) if d.get("avg_seconds") is not None else None
        warnings = []
        if n >= ALL_KEEP_MIN_DECISIONS and keep_share == 100:
            warnings.append("kept everything")
        if avg is not None and n >= 3 and avg < FAST_DECISION_SECONDS:
            warnings.append(f"under {FAST_DECISION_SECONDS} s a decision")
        if d.get("flagged_keeps"):
            warnings.append(f"kept {d['flagged_keeps']} flagged account(s)")
        if n and d.get("bulk", 0) * 2 > n:
            warnings.append("mostly bulk decisions")
        rows.append({"user": users[uid], "pending": pending.get(uid, 0), "decided": n,
                     "keep_share": keep_share, "avg_seconds": avg, "bulk": d.get("bulk", 0),
                     "flagged_keeps": d.get("flagged_keeps", 0), "warnings": warnings})
    return rows


def remediation_items(campaign) -> QuerySet[ReviewItem]:
    return (campaign.items.filter(decision__in=[Decision.REVOKE, Decision.CHANGE])
            .select_related("remediation_task__completed_by", "remediation_task__assignee", "portal_account",
                            "credential")
            .order_by("holder_name", "portal_name", "pk"))


def campaign_history(organization) -> QuerySet[ReviewCampaign]:
    return (ReviewCampaign.objects.filter(organization=organization).select_related("signed_off_by")
            .annotate(total=Count("items"), decided=Count("items", filter=Q(items__decision__in=FINAL_DECISIONS)))
            .order_by("-period_start", "-pk"))


def reviewers_in(organization) -> QuerySet[User]:
    """Logins that may review (their role holds RUN_ACCESS_REVIEWS)."""
    return (User.objects.filter(memberships__organization=organization, is_active=True,
                                memberships__role__in=[Role.BILLING_MANAGER, Role.ADMINISTRATOR])
            .order_by("full_name", "email"))


def administrators_of(organization) -> list[str]:
    """Who can take the steps only an administrator takes (sign-off, reassigning): their names, to tell
    the people who cannot."""
    return [str(u) for u in User.objects.filter(memberships__organization=organization, is_active=True,
                                                 memberships__role=Role.ADMINISTRATOR).order_by("full_name", "email")]


def open_items_count(*, user, organization) -> int:
    return ReviewItem.objects.filter(organization=organization, reviewer=user, decision="",
                                     campaign__status=ReviewCampaign.Status.OPEN).count()

