"""Until findings offers a pre-evaluation hook (notes/requests-from-offboarding.md, request 1),
offboarding wraps findings.services.findings_evaluate_organization. Every roster or account change
(the staff page, the roster import, the API, the daily job) ends in that evaluation, in the same
transaction; running organization_sync first means a leaver's checklist, a mover's tasks and a released
hold exist before the findings are computed, at once and whatever the path."""

from __future__ import annotations

import contextvars
import functools

_syncing: contextvars.ContextVar[bool] = contextvars.ContextVar("offboarding_syncing", default=False)


def install() -> None:
    from findings import services as findings_services

    original = findings_services.findings_evaluate_organization
    if getattr(original, "_offboarding_wrapped", False):
        return

    @functools.wraps(original)
    def findings_evaluate_organization(*, organization, now=None, acting_user=None):
        if not _syncing.get():
            from .sync import organization_sync

            token = _syncing.set(True)
            try:
                organization_sync(organization=organization, now=now, acting_user=acting_user)
            finally:
                _syncing.reset(token)
        return original(organization=organization, now=now, acting_user=acting_user)

    findings_evaluate_organization._offboarding_wrapped = True
    findings_services.findings_evaluate_organization = findings_evaluate_organization
