"""The untrained-holder finding: an active portal account whose holder lacks a current completion of
a module required for it. Registered with the findings engine, so each evaluation opens and resolves
it. Set-based: a handful of queries per organization however many accounts."""

from __future__ import annotations

import datetime

UNTRAINED_HOLDER = "untrained_holder"


def untrained_holder_specs(organization, now: datetime.datetime) -> list:
    from access.models import AccountStatus, PortalAccount
    from findings.models import Severity
    from findings.rules import FindingSpec

    from .selectors import EXPIRED, active_modules, live_account_requirements

    modules = active_modules(organization)
    if not modules:
        return []
    today = now.date()
    accounts = PortalAccount.objects.filter(organization=organization, status=AccountStatus.ACTIVE)
    specs = []
    holders = None  # account id -> (person, portal), read once when there is a finding to name
    # The live accounts' requirements, shared with the compliance snapshot of the same hygiene run.
    statuses, requirements = live_account_requirements(organization, modules)
    for req in requirements:
        if statuses[req.account_id] != AccountStatus.ACTIVE:
            continue
        state = req.state(today)
        if state not in ("due", EXPIRED):
            continue
        why = (f"completion expired on {req.expires_on:%Y-%m-%d}" if state == EXPIRED else "never completed")
        if holders is None:
            holders = {pk: (person, portal) for pk, person, portal in accounts.values_list(
                "pk", "staff_member__full_name", "enrollment__portal__name")}
        person, portal = holders.get(req.account_id, ("", ""))
        specs.append(FindingSpec(
            UNTRAINED_HOLDER, Severity.MEDIUM, f"{UNTRAINED_HOLDER}:{req.account_id}:{req.module.pk}",
            f"Untrained holder: {person} — {req.module.title} ({why}){f' for {portal}' if portal else ''}",
            "The holder of this active portal account needs this training module. Record the completion "
            "(Training), or have them attest it on My training.",
            staff_member_id=req.staff_member_id, portal_account_id=req.account_id))
    return specs


def _install() -> None:
    from findings import rules

    rules.RULE_LABELS.setdefault(UNTRAINED_HOLDER, "Untrained holder")
    rules.register_rule_provider(untrained_holder_specs)


_install()
