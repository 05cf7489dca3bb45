"""Bringing one organization up to date: leavers without a checklist, open checklists, movers.
Set-based: a few queries per organization plus work only for the people who changed."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from access.models import AccessException, AccountStatus, OrganizationCredential, PortalAccount, ProvisioningTask
from audits.services import record_event
from carriers.models import PortalEnrollment
from staff.models import EmploymentStatus, EnrollmentAdministrator, StaffMember

from .models import ChecklistItem, OffboardingCase, RoleWatermark
from .services import LEAVER_STATUSES, case_sync, leaver_flag

T = EmploymentStatus


def leavers_needing_a_case(organization):
    """People recorded as left (or on leave) whose checklist is missing or out of date."""
    accounts = PortalAccount.objects.filter(staff_member=OuterRef("pk"))
    live = Exists(accounts.filter(status__in=[AccountStatus.ACTIVE, AccountStatus.SUSPENDED,
                                              AccountStatus.DEACTIVATION_PENDING]))
    active = Exists(accounts.filter(status=AccountStatus.ACTIVE))
    rotate = Exists(OrganizationCredential.objects.filter(custodians=OuterRef("pk"), rotation_required=True))
    administers = Exists(EnrollmentAdministrator.objects.filter(
        staff_member=OuterRef("pk"), enrollment__status=PortalEnrollment.Status.REGISTERED))
    any_case = Exists(OffboardingCase.objects.filter(staff_member=OuterRef("pk")))
    same_open_case = Exists(OffboardingCase.objects.filter(staff_member=OuterRef("pk"), completed_at__isnull=True,
                                                           reason=OuterRef("employment_status")))
    return (StaffMember.objects.filter(organization=organization, employment_status__in=LEAVER_STATUSES)
            .filter((Q(employment_status=T.TERMINATED) & (live | rotate | (administers & ~any_case)))
                    | (Q(employment_status=T.ON_LEAVE) & active))
            .exclude(same_open_case).order_by("pk"))


def cases_needing_sync(organization):
    """Open cases that case_sync could change: one with a pending item whose records moved (the account
    deactivated or gone, its task no longer open, a held or successor item, a person back from leave, a
    credential rotated) or with nothing pending left. The others are skipped, so a day with no change
    costs one query however many cases are open (they stay open until the payer side confirms)."""
    Item = ChecklistItem
    pending = Item.objects.filter(case=OuterRef("pk"), status__in=[Item.Status.OPEN, Item.Status.HELD])
    quiet = (
        (Q(kind=Item.Kind.DEACTIVATE, status=Item.Status.OPEN, task__status=ProvisioningTask.Status.OPEN,
           portal_account__isnull=False) & ~Q(portal_account__status=AccountStatus.DEACTIVATED))
        | (Q(kind=Item.Kind.SUSPEND, portal_account__status=AccountStatus.ACTIVE)
           & ~Q(case__staff_member__employment_status=T.ACTIVE))
        | Q(kind=Item.Kind.ROTATE, credential__rotation_required=True)
    )
    return (OffboardingCase.objects.filter(organization=organization, completed_at__isnull=True)
            .filter(Exists(pending.exclude(quiet)) | ~Exists(pending)).order_by("pk"))


@transaction.atomic
def organization_sync(*, organization, now=None, acting_user=None) -> dict:
    now = now or timezone.now()
    counts = {"cases_opened": 0, "cases_completed": 0, "movers": 0}
    for staff in leavers_needing_a_case(organization):
        leaver_flag(staff=staff, acting_user=acting_user, now=now)
        counts["cases_opened"] += 1
    for case in cases_needing_sync(organization):
        if case_sync(case=case, acting_user=acting_user, now=now).completed_at:
            counts["cases_completed"] += 1
    counts["movers"] = movers_detect(organization=organization, acting_user=acting_user, now=now)
    return counts


# --- movers --------------------------------------------------------------------------------------

def movers_detect(*, organization, acting_user=None, now=None) -> int:
    """Compare each active person's job role with the one last evaluated. A new person is recorded
    without work; a changed role re-evaluates policy (mover_apply). One query when nothing moved."""
    now = now or timezone.now()
    rows = list(StaffMember.objects.filter(organization=organization, employment_status=T.ACTIVE)
                .filter(Q(role_watermark__isnull=True) | ~Q(role_watermark__job_role=F("job_role")))
                .values_list("pk", "job_role", "role_watermark__job_role"))
    new = [RoleWatermark(staff_member_id=pk, organization=organization, job_role=role, evaluated_at=now)
           for pk, role, seen in rows if seen is None]
    RoleWatermark.objects.bulk_create(new, ignore_conflicts=True)
    moved = 0
    for pk, role, seen in rows:
        if seen is None or seen == role:
            continue
        RoleWatermark.objects.filter(staff_member_id=pk).update(job_role=role, evaluated_at=now)
        mover_apply(staff=StaffMember.objects.get(pk=pk), before_role=seen, acting_user=acting_user)
        moved += 1
    return moved


@transaction.atomic
def mover_apply(*, staff: StaffMember, before_role: str, acting_user=None) -> dict:
    """A job-role change: functions the new role may not hold become change tasks (or a deactivation
    when nothing is left); portals the new role needs become provisioning tasks."""
    from access.policy import policy_for_organization
    from access.services import (
        portal_account_transition,
        proposed_accounts,
        provisioning_plan_apply,
        provisioning_task_create,
    )
    from staff.models import JobRole

    today = timezone.localdate()
    allowed = policy_for_organization(staff.organization).get(staff.job_role, frozenset())
    excepted = set(AccessException.objects.filter(
        portal_account__staff_member=staff, approved_at__isnull=False, revoked_at__isnull=True,
        expires_on__gte=today).values_list("portal_account_id", "function__code"))
    change, deactivate = [], []
    for acct in (staff.portal_accounts.filter(status__in=[AccountStatus.ACTIVE, AccountStatus.SUSPENDED])
                 .select_related("enrollment__portal").prefetch_related("functions")):
        held = {f.code for f in acct.functions.all()}
        keep = {c for c in held if c in allowed or (acct.pk, c) in excepted}
        if keep == held:
            continue
        note = (f"Job role changed from {JobRole(before_role).label} to {staff.get_job_role_display()}: "
                f"remove {', '.join(sorted(held - keep))}.")
        if keep:
            change.append(provisioning_task_create(account=acct, kind=ProvisioningTask.Kind.CHANGE,
                                                   acting_user=acting_user, functions=sorted(keep), notes=note))
        else:
            portal_account_transition(account=acct, to_status=AccountStatus.DEACTIVATION_PENDING,
                                      acting_user=acting_user, reason=note, reevaluate=False)
            deactivate.append(provisioning_task_create(account=acct, kind=ProvisioningTask.Kind.DEACTIVATE,
                                                       acting_user=acting_user, notes=note))
    provision = []
    proposals = proposed_accounts(staff)
    if proposals:
        provision = provisioning_plan_apply(staff=staff, acting_user=acting_user, selections=[
            (p["enrollment"], [f.code for f in p["functions"]]) for p in proposals])
    result = {"change_tasks": len(change), "deactivation_tasks": len(deactivate), "provisioning_tasks": len(provision)}
    record_event("offboarding.mover_evaluated", actor=acting_user, organization=staff.organization_id, target=staff,
                 changes={"job_role": [before_role, staff.job_role], **{k: [None, v] for k, v in result.items()}})
    return result
