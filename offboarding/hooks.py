"""Offboarding plugged into the roster, the work queue and the findings engine (hooks issue 4 added):

- employment change (staff.services): a leaver's checklist opens at once, whatever the path (roster page,
  roster import, API, the daily job's end-date catch-up); a job-role change becomes a mover's tasks;
- task-completion guard (access.services): a leaving portal administrator's own deactivation is refused
  while it is held for a successor;
- pre-evaluation (findings.services): before the rules run, open checklists are brought up to date (a
  successor recorded on the staff pages releases the hold) and anything missed is caught up.
"""

from __future__ import annotations

import contextvars
import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

_syncing: contextvars.ContextVar[bool] = contextvars.ContextVar("offboarding_syncing", default=False)


def on_employment_change(*, staff, before_status, before_role, acting_user) -> None:
    from staff.models import EmploymentStatus

    from .models import RoleWatermark
    from .services import LEAVER_STATUSES, leaver_flag
    from .sync import mover_apply

    if staff.employment_status in LEAVER_STATUSES:
        leaver_flag(staff=staff, acting_user=acting_user)
    elif (staff.employment_status == EmploymentStatus.ACTIVE and before_status == EmploymentStatus.ACTIVE
          and before_role and before_role != staff.job_role):
        # The watermark first: mover_apply's own services re-evaluate, and must not see a move again.
        RoleWatermark.objects.update_or_create(staff_member=staff, defaults={
            "organization_id": staff.organization_id, "job_role": staff.job_role})
        mover_apply(staff=staff, before_role=before_role, acting_user=acting_user)


def before_evaluation(*, organization, now=None, acting_user=None) -> None:
    if _syncing.get():
        return  # a service called from the sync re-evaluates: the sync is already running
    from findings.services import evaluation_deferred

    from .sync import organization_sync

    token = _syncing.set(True)
    try:
        # The evaluation that called this hook runs the rules right after it: the services the sync calls
        # (a mover's tasks, a leaver's checklist) only note the organization instead of each evaluating the
        # whole practice again (at 6,000 accounts each such evaluation took seconds).
        with evaluation_deferred(evaluate_after=False):
            organization_sync(organization=organization, now=now, acting_user=acting_user)
    finally:
        _syncing.reset(token)


def held_deactivation_guard(obj) -> None:
    """Refuse to deactivate a leaving portal administrator's own account before a successor exists
    (on some portals, e.g. myCGS, that would terminate every user the administrator created)."""
    from access.models import ProvisioningTask

    from .models import ChecklistItem

    if isinstance(obj, ProvisioningTask):
        if obj.kind != ProvisioningTask.Kind.DEACTIVATE:
            return
        account_id = obj.portal_account_id
    else:
        account_id = obj.pk
    held = (ChecklistItem.objects.filter(portal_account_id=account_id, status=ChecklistItem.Status.HELD,
                                         case__completed_at__isnull=True)
            .select_related("case__staff_member", "enrollment__portal").first())
    if held is not None:
        raise ValidationError(
            f"{held.case.staff_member.full_name} administers {held.enrollment.portal.name} and has left: record a "
            "successor administrator on the offboarding checklist first; this deactivation is held until then.")


def leaver_preview(*, staff) -> list[str]:
    """For the "Record as leaver" confirmation: the clock it starts and when the findings come."""
    from .services import settings_for

    minutes = settings_for(staff.organization)[0]
    due = timezone.localtime(timezone.now() + datetime.timedelta(minutes=minutes))
    return [f"An offboarding checklist opens with a deadline of {minutes} minutes: every portal account must be "
            f"deactivated on the portal and confirmed by {due:%Y-%m-%d %H:%M %Z}.",
            "If that deadline passes with accounts still open, the administrators are alerted and each open "
            "account becomes a critical finding."]


def leaver_grace(organization, now) -> set[int]:
    """Leavers still inside their offboarding deadline: their open accounts are work on the clock, not yet a
    finding (findings.rules asks; the finding comes when the deadline passes)."""
    from .models import OffboardingCase

    cases = OffboardingCase.objects.filter(organization=organization, completed_at__isnull=True,
                                           reason=OffboardingCase.Reason.TERMINATED, due_at__gt=now)
    # A departure found late (its end date passed before it was recorded) gets no grace: the person is gone.
    return {staff_id for staff_id, end, recorded in cases.values_list("staff_member_id", "end_date", "recorded_at")
            if end is None or end >= timezone.localdate(recorded)}


def install() -> None:
    from access.services import register_task_completion_guard
    from findings.rules import register_leaver_grace
    from findings.services import register_pre_evaluation_hook
    from staff.services import LEAVER_PREVIEW_HOOKS, register_employment_change_hook

    register_employment_change_hook(on_employment_change)
    register_leaver_grace(leaver_grace)
    if leaver_preview not in LEAVER_PREVIEW_HOOKS:
        LEAVER_PREVIEW_HOOKS.append(leaver_preview)
    register_pre_evaluation_hook(before_evaluation)
    register_task_completion_guard(held_deactivation_guard)
