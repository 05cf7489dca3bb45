"""Reads: who needs which module and whether their completion is current. A fixed number of queries
however many accounts (accounts, their functions, the modules, the latest completions)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from access.models import PortalAccount

from .models import Scope, TrainingCompletion, TrainingModule

CURRENT, DUE, EXPIRED, NONE_REQUIRED = "current", "due", "expired", "none required"


@dataclass
class Requirement:
    account_id: int
    staff_member_id: int
    module: TrainingModule
    expires_on: datetime.date | None  # of the latest completion; None: never completed

    def state(self, today: datetime.date) -> str:
        if self.expires_on is None:
            return DUE
        return CURRENT if self.expires_on >= today else EXPIRED


def active_modules(organization) -> list[TrainingModule]:
    return list(TrainingModule.objects.filter(organization=organization, is_active=True)
                .select_related("portal", "function"))


def latest_expiry(organization, staff_ids, module_ids) -> dict[tuple[int, int], datetime.date]:
    """{(staff_member_id, module_id): latest expires_on} in one query."""
    if not staff_ids or not module_ids:
        return {}
    rows = (TrainingCompletion.objects.filter(organization=organization, staff_member_id__in=staff_ids,
                                            module_id__in=module_ids)
            .values("staff_member_id", "module_id").annotate(latest=Max("expires_on")).order_by())
    return {(r["staff_member_id"], r["module_id"]): r["latest"] for r in rows}


def requirements_for_accounts(organization, accounts_qs, modules=None) -> list[Requirement]:
    """accounts_qs: PortalAccount queryset (already scoped). One row per (account, required module)."""
    modules = active_modules(organization) if modules is None else modules
    if not modules:
        return []
    return _requirements(organization, list(accounts_qs.values_list("pk", "staff_member_id", "enrollment__portal_id")),
                         modules)


def _requirements(organization, rows, modules) -> list[Requirement]:
    """rows: (account id, staff member id, portal id), in the order wanted for the requirements."""
    ids = [r[0] for r in rows]
    fns = defaultdict(set)
    if any(m.scope == Scope.FUNCTION for m in modules) and ids:
        through = PortalAccount.functions.through
        for account_id, function_id in through.objects.filter(portalaccount_id__in=ids).values_list(
                "portalaccount_id", "portalfunction_id"):
            fns[account_id].add(function_id)
    needed = []
    for account_id, staff_id, portal_id in rows:
        for module in modules:
            if (module.scope == Scope.GENERAL
                    or (module.scope == Scope.PORTAL and module.portal_id == portal_id)
                    or (module.scope == Scope.FUNCTION and module.function_id in fns[account_id])):
                needed.append((account_id, staff_id, module))
    expiry = latest_expiry(organization, {s for _, s, _ in needed}, {m.pk for m in modules})
    return [Requirement(a, s, m, expiry.get((s, m.pk))) for a, s, m in needed]


def live_account_requirements(organization, modules) -> tuple[dict[int, str], list[Requirement]]:
    """({live account id: its status}, one Requirement per (live account, required module)), in the
    accounts' default order. Read once per organization's daily hygiene run (hygiene.memo) and shared by the
    untrained-holder rule (the active accounts) and the compliance snapshot (every live account): at 6,000
    accounts a practice each computation took a few hundred milliseconds."""
    from hygiene.memo import shared

    def compute():
        from access.models import LIVE_STATUSES

        rows = list(PortalAccount.objects.filter(organization=organization, status__in=LIVE_STATUSES)
                    .values_list("pk", "staff_member_id", "enrollment__portal_id", "status"))
        statuses = {pk: status for pk, _, _, status in rows}
        return statuses, (_requirements(organization, [r[:3] for r in rows], modules) if modules else [])

    return shared(("training.live_account_requirements", organization.pk, tuple(m.pk for m in modules)), compute)


def live_training_status(organization, *, today: datetime.date, modules) -> dict[int, str]:
    """training_status_for_accounts for every live account of the organization (shared reads)."""
    statuses, requirements = live_account_requirements(organization, modules)
    return _status_of(statuses, requirements, today)


def _status_of(account_ids, requirements, today) -> dict[int, str]:
    status = dict.fromkeys(account_ids, NONE_REQUIRED)
    states = defaultdict(set)
    for req in requirements:
        states[req.account_id].add(req.state(today))
    for account_id, found in states.items():
        status[account_id] = DUE if DUE in found else EXPIRED if EXPIRED in found else CURRENT
    return status


def training_status_for_accounts(organization, account_ids, *, today: datetime.date | None = None,
                                 modules=None) -> dict[int, str]:
    """{account_id: "current" | "due" | "expired" | "none required"}: "due" when a required module
    was never completed, "expired" when every required module was completed but one has lapsed."""
    today = today or timezone.localdate()
    account_ids = list(account_ids)
    accounts = PortalAccount.objects.filter(organization=organization, pk__in=account_ids)
    return _status_of(account_ids, requirements_for_accounts(organization, accounts, modules), today)


def module_holders(module: TrainingModule, *, today: datetime.date | None = None) -> list[dict]:
    """Who among the live account holders needs this module, and their state (one row per person)."""
    from access.models import LIVE_STATUSES

    today = today or timezone.localdate()
    accounts = PortalAccount.objects.filter(organization_id=module.organization_id, status__in=LIVE_STATUSES)
    people: dict[int, dict] = {}
    for req in requirements_for_accounts(module.organization, accounts, [module]):
        people.setdefault(req.staff_member_id, {"staff_member_id": req.staff_member_id,
                                                "expires_on": req.expires_on, "state": req.state(today)})
    return list(people.values())


def my_modules(organization, staff_member, *, today: datetime.date | None = None) -> list[dict]:
    """The modules a staff member needs for their live accounts (and the general ones), with their state."""
    from access.models import LIVE_STATUSES

    today = today or timezone.localdate()
    modules = active_modules(organization)
    accounts = PortalAccount.objects.filter(organization=organization, staff_member=staff_member,
                                            status__in=LIVE_STATUSES)
    required = {req.module.pk: req for req in requirements_for_accounts(organization, accounts, modules)}
    expiry = latest_expiry(organization, {staff_member.pk}, {m.pk for m in modules})
    out = []
    for module in modules:
        expires = expiry.get((staff_member.pk, module.pk))
        state = (DUE if expires is None else CURRENT if expires >= today else EXPIRED)
        out.append({"module": module, "required": module.pk in required, "expires_on": expires, "state": state})
    return out
