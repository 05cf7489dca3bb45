"""Reads for the access pages: a fixed number of queries however many staff and accounts."""

from __future__ import annotations

from collections import defaultdict

from carriers.models import PortalEnrollment
from findings.models import Finding
from staff.models import StaffMember

from .models import AccountStatus, PortalAccount, ProvisioningTask

_STATUS_LABELS = dict(AccountStatus.choices)


def matrix_columns(organization):
    return list(PortalEnrollment.objects.filter(organization=organization).select_related("portal")
                .order_by("portal__name", "pk"))


class MatrixAccount:
    """One account as the matrix shows it: plain values, no model instance (a page holds 750 of them and
    the CSV every account of the practice, so ORM objects and per-account prefetches were most of the time)."""

    __slots__ = ("pk", "staff_member_id", "enrollment_id", "portal_user_id", "status", "status_label", "flagged",
                 "function_names")

    def __init__(self, pk, staff_member_id, enrollment_id, portal_user_id, status, flagged, function_names):
        self.pk, self.staff_member_id, self.enrollment_id = pk, staff_member_id, enrollment_id
        self.portal_user_id, self.status, self.flagged = portal_user_id, status, flagged
        self.status_label = _STATUS_LABELS.get(status, status)
        self.function_names = function_names


def matrix_lookups(organization) -> set:
    """What every chunk of the matrix shares: the ids of accounts with an open finding. One query."""
    return set(Finding.objects.filter(organization=organization, resolved_at__isnull=True,
                                      portal_account__isnull=False)
               .order_by().values_list("portal_account_id", flat=True))  # a set: no ORDER BY (Finding's default)


def matrix_cells(organization, staff_ids, *, include_deactivated: bool = False, lookups=None) -> dict:
    """{(staff_id, enrollment_id): [MatrixAccount, ...]} in account order, with the granted functions'
    names (in PortalFunction's order, as .all() gives) and `flagged` for accounts that have an open
    finding. Three queries whatever the size (two when `lookups` from matrix_lookups() is given)."""
    flagged = matrix_lookups(organization) if lookups is None else lookups
    accounts = PortalAccount.objects.filter(organization=organization, staff_member_id__in=staff_ids)
    if not include_deactivated:
        accounts = accounts.exclude(status="deactivated")
    rows = list(accounts.order_by("pk").values_list("pk", "staff_member_id", "enrollment_id", "portal_user_id",
                                                    "status"))
    through = PortalAccount.functions.through
    granted = defaultdict(list)
    for account_id, sort_order, name in (through.objects.filter(portalaccount__in=accounts)
                                         .values_list("portalaccount_id", "portalfunction__sort_order",
                                                      "portalfunction__name")):
        granted[account_id].append((sort_order, name))
    granted = {pk: [name for _, name in sorted(fns)] for pk, fns in granted.items()}
    cells = defaultdict(list)
    for pk, staff_id, enrollment_id, user_id, status in rows:
        cells[(staff_id, enrollment_id)].append(
            MatrixAccount(pk, staff_id, enrollment_id, user_id, status, pk in flagged, granted.get(pk, [])))
    return cells


def matrix_staff(organization, *, include_leavers: bool = True):
    qs = StaffMember.objects.filter(organization=organization).order_by("full_name", "pk")
    if not include_leavers:
        qs = qs.exclude(employment_status="terminated")
    return qs


def task_queue(organization, *, assignee=None, status=ProvisioningTask.Status.OPEN):
    qs = (ProvisioningTask.objects.filter(organization=organization)
          .select_related("portal_account__staff_member", "portal_account__enrollment__portal", "assignee",
                          "completed_by")
          .prefetch_related("functions"))
    if assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif assignee is not None:
        qs = qs.filter(assignee=assignee)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_on", "created_at", "pk")


def accounts_of(staff: StaffMember):
    return (PortalAccount.objects.filter(staff_member=staff).select_related("enrollment__portal")
            .prefetch_related("functions").order_by("enrollment__portal__name", "pk"))


def shared_logins(accounts) -> dict[int, list[str]]:
    """For each of these accounts, the other people recorded with the same user ID on the same portal (one
    person, one credential: a shared login is a critical finding on the account). Two queries."""
    from .models import LIVE_STATUSES
    from .validators import normalize_user_id

    accounts = [a for a in accounts if a.portal_user_id]
    if not accounts:
        return {}
    mine = {(a.enrollment.portal_id, normalize_user_id(a.portal_user_id)): a for a in accounts}
    # Only the same practices' accounts can match (checked below): filtering on them in SQL keeps this one
    # practice's rows, where reading every practice's live accounts on those portals took seconds at 300,000.
    others = (PortalAccount.objects.filter(enrollment__portal_id__in={p for p, _ in mine}, status__in=LIVE_STATUSES,
                                           staff_member__organization_id__in={a.organization_id for a in accounts})
              .exclude(pk__in=[a.pk for a in accounts])
              .values_list("enrollment__portal_id", "portal_user_id", "staff_member__full_name",
                           "staff_member__organization_id"))
    found: dict[int, list[str]] = defaultdict(list)
    for portal_id, uid, person, org_id in others:
        account = mine.get((portal_id, normalize_user_id(uid)))
        if account is not None and org_id == account.organization_id:
            found[account.pk].append(person)
    return {pk: sorted(set(names)) for pk, names in found.items()}
