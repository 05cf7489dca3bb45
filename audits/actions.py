"""One canonical name per kind of audit event, and the words people read for it.

A governed model's diff events were named after the model ("access.provisioningtask.created") while the
service that made the change named its own event ("provisioning_task.created"): two names for one kind of
event. New events are written under the canonical name (stamping.stamp calls canonical_action); events
written before keep their stored name (the log is append-only) and the filter finds them through ALIASES.
Depends on Django's app registry only (the write path depends on core alone).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Model label -> the canonical prefix of its events, where the services already use a name of their own.
MODEL_PREFIXES = {
    "staff.staffmember": "staff",
    "access.provisioningtask": "provisioning_task",
    "access.portalaccount": "portal_account",
    "access.accessexception": "access_exception",
    "access.accesspolicy": "access_policy",
    "access.organizationcredential": "organization_credential",
    "staff.enrollmentadministrator": "enrollment_administrator",
    "reviews.reviewcampaign": "review_campaign",
    "reviews.reviewdecision": "review_decision",
    "reviews.reviewsettings": "review_settings",
    "training.trainingmodule": "training_module",
    "training.trainingcompletion": "training_completion",
    "offboarding.offboardingcase": "offboarding_case",
    "offboarding.checklistitem": "offboarding_item",
    "offboarding.offboardingsettings": "offboarding_settings",
    "offboarding.externalrecertification": "external_recertification",
    "accounts.organization": "organization",
    "accounts.membership": "membership",
    "accounts.groupnpi": "group_npi",
    "accounts.medicareptan": "medicare_ptan",
    "accounts.user": "login",
    "carriers.contract": "contract",
    "carriers.portalenrollment": "enrollment",
}

# Words for the groups and actions whose generated label would read poorly.
GROUP_LABELS = {
    "auth": "Sign-in", "login": "Logins", "security": "Security", "audit": "Audit log", "staff": "Staff",
    "group_npi": "Group NPIs", "medicare_ptan": "Medicare PTANs", "mfa": "Multi-factor sign-in",
}
VERB_LABELS = {"login_failed": "sign-in failed", "login": "signed in", "logout": "signed out"}

_MODEL_ACTION = re.compile(r"^([a-z_]+)\.([a-z0-9_]+)\.([a-z_]+)$")


def canonical_action(action: str) -> str:
    """'access.provisioningtask.created' -> 'provisioning_task.created'; anything else unchanged."""
    m = _MODEL_ACTION.match(action or "")
    if not m:
        return action
    prefix = MODEL_PREFIXES.get(f"{m.group(1)}.{m.group(2)}")
    return f"{prefix}.{m.group(3)}" if prefix else action


@lru_cache(maxsize=1)
def _aliases_by_prefix() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for label, prefix in MODEL_PREFIXES.items():
        out.setdefault(prefix, []).append(label)
    return out


def action_names(action: str) -> tuple[list[str], list[str]]:
    """Every stored name the filter value stands for: (exact names, name prefixes for "group.*").

    Old and new names both work as input: 'staff.staffmember.created' and 'staff.created' find the same events.
    """
    action = (action or "").strip()
    if action.endswith("*"):
        head = action[:-1].rstrip(".")
        head = MODEL_PREFIXES.get(head, head)
        return [], [f"{head}."] + [f"{old}." for old in _aliases_by_prefix().get(head, [])]
    canonical = canonical_action(action)
    prefix, _, verb = canonical.partition(".")
    names = [canonical] + [f"{old}.{verb}" for old in _aliases_by_prefix().get(prefix, [])]
    if action not in names:
        names.append(action)
    return names, []


def group_label(prefix: str) -> str:
    return GROUP_LABELS.get(prefix) or prefix.replace("_", " ").capitalize()


def action_label(action: str) -> str:
    """'provisioning_task.created' -> 'Provisioning task: created' (the words shown instead of the code)."""
    canonical = canonical_action(action)
    prefix, _, verb = canonical.partition(".")
    verb = VERB_LABELS.get(verb) or verb.replace("_", " ").replace(".", " ")
    return f"{group_label(prefix)}: {verb}" if verb else group_label(prefix)


def grouped_choices(stored_actions) -> list[tuple[str, list[tuple[str, str]]]]:
    """The action filter's grouped choice list from the names found in the log (old names folded in):
    [(group label, [(value, label), ...]), ...], each group led by "any <group> event"."""
    groups: dict[str, set[str]] = {}
    for action in stored_actions:
        canonical = canonical_action(action)
        prefix, _, verb = canonical.partition(".")
        if verb:
            groups.setdefault(prefix, set()).add(canonical)
    out = []
    for prefix in sorted(groups, key=lambda p: group_label(p).lower()):
        label = group_label(prefix)
        options = [(f"{prefix}.*", f"{label}: any")]
        options += [(a, action_label(a)) for a in sorted(groups[prefix])]
        out.append((label, options))
    return out
