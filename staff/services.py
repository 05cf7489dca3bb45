"""Roster changes. Each service takes the acting user explicitly and writes its audit event in the
same transaction; leaving the practice flags every portal account of the person at once."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from audits.services import record_event

from .models import EmploymentStatus, StaffMember

STAFF_FIELDS = ("full_name", "work_email", "job_role", "employment_status", "start_date", "end_date", "manager", "user")


def _jsonable(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    return value


def staff_with_email(organization, email: str):
    """The roster row with this work e-mail, any case: LOWER(work_email) = lower(email) is the form of the
    (organization, Lower(work_email)) unique index, so this is one index probe whatever the roster's size
    (work_email__iexact compiles to UPPER(...) LIKE, which that index cannot answer)."""
    return StaffMember.objects.alias(email_lower=Lower("work_email")).filter(
        organization=organization, email_lower=(email or "").strip().lower())


def _check_email_free(organization, email: str, exclude_pk=None) -> None:
    qs = staff_with_email(organization, email)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    holder = list(qs.order_by().values_list("full_name", flat=True)[:1])
    if holder:
        raise ValidationError({"work_email": f"{email} already belongs to {holder[0]} on the roster."})


def _check_manager(staff: StaffMember) -> None:
    if staff.manager_id and staff.manager.organization_id != staff.organization_id:
        raise ValidationError({"manager": "The manager must be on this practice's roster."})
    if staff.pk and staff.manager_id == staff.pk:
        raise ValidationError({"manager": "A person cannot be their own manager."})


def _check_dates(staff: StaffMember) -> None:
    if staff.start_date and staff.end_date and staff.end_date < staff.start_date:
        raise ValidationError({"end_date": "The end date is before the start date."})


@transaction.atomic
def staff_create(*, organization, acting_user, full_name: str, work_email: str, job_role: str,
                 employment_status: str = EmploymentStatus.ACTIVE, start_date=None, end_date=None,
                 manager=None, user=None, source: str = "form") -> StaffMember:
    work_email = work_email.strip().lower()
    _check_email_free(organization, work_email)
    staff = StaffMember(
        organization=organization, full_name=full_name.strip(), work_email=work_email, job_role=job_role,
        employment_status=employment_status, start_date=start_date, end_date=end_date, manager=manager, user=user,
    )
    # The organization is the caller's own object: checking that it exists would cost a query per person.
    staff.full_clean(exclude=["organization"], validate_constraints=False)
    _check_manager(staff)
    _check_dates(staff)
    staff.save()
    record_event(
        "staff.created", actor=acting_user, organization=organization, target=staff,
        changes={f: [None, _jsonable(getattr(staff, f))] for f in STAFF_FIELDS if getattr(staff, f) not in (None, "")},
        message=f"source: {source}",
    )
    if employment_status != EmploymentStatus.ACTIVE:
        _after_status_change(staff, None, acting_user)
    return staff


@transaction.atomic
def staff_update(*, staff: StaffMember, acting_user, source: str = "form", **fields) -> StaffMember:
    """Change roster fields. A move to on leave or terminated flags the person's portal accounts."""
    staff = StaffMember.objects.select_for_update().get(pk=staff.pk)
    before_status = staff.employment_status
    before_role = staff.job_role
    changes = {}
    for name, value in fields.items():
        if name not in STAFF_FIELDS:
            raise ValueError(f"Not a roster field: {name}")
        if name == "work_email":
            value = value.strip().lower()
            _check_email_free(staff.organization, value, exclude_pk=staff.pk)
        old = getattr(staff, name)
        if old != value:
            changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(staff, name, value)
    if not changes:
        return staff
    staff.full_clean(validate_constraints=False)
    _check_manager(staff)
    _check_dates(staff)
    staff.save()
    record_event("staff.updated", actor=acting_user, organization=staff.organization, target=staff,
                 changes=changes, message=f"source: {source}")
    if staff.employment_status != before_status:
        _after_status_change(staff, before_status, acting_user, before_role=before_role)
    elif staff.job_role != before_role:
        _run_employment_hooks(staff, before_status, before_role, acting_user)
        _reevaluate(staff.organization)
    return staff


def staff_terminate(*, staff: StaffMember, acting_user, end_date: datetime.date | None = None,
                    source: str = "form") -> StaffMember:
    """Record that a person left: every one of their portal accounts is flagged at once."""
    end_date = end_date or staff.end_date or timezone.localdate()
    return staff_update(staff=staff, acting_user=acting_user, source=source,
                        employment_status=EmploymentStatus.TERMINATED, end_date=end_date)


# Other apps react to joiners, movers and leavers (e.g. offboarding opens the leaver's checklist).
# Each is called as func(staff=, before_status=, before_role=, acting_user=) inside the change's
# transaction, after the accounts are flagged and before findings are re-evaluated.
EMPLOYMENT_HOOKS: list = []


# Lines that say what recording a leaver will set in motion, for the confirmation page (offboarding adds its
# deadline). Each is called as func(staff=) and returns a list of sentences.
LEAVER_PREVIEW_HOOKS: list = []


def leaver_consequences(staff: StaffMember) -> dict:
    """What "Record as leaver" will do, in words, before it is done (the action cannot be undone)."""
    from access.models import LIVE_STATUSES, PortalAccount

    accounts = list(PortalAccount.objects.filter(staff_member=staff, status__in=LIVE_STATUSES)
                    .select_related("enrollment__portal").order_by("enrollment__portal__name", "pk"))
    lines = [line for hook in LEAVER_PREVIEW_HOOKS for line in hook(staff=staff)]
    return {"accounts": accounts, "lines": lines}


def register_employment_change_hook(func) -> None:
    if func not in EMPLOYMENT_HOOKS:
        EMPLOYMENT_HOOKS.append(func)


def _run_employment_hooks(staff, before_status, before_role, acting_user) -> None:
    for hook in EMPLOYMENT_HOOKS:
        hook(staff=staff, before_status=before_status, before_role=before_role, acting_user=acting_user)


def _after_status_change(staff: StaffMember, before: str | None, acting_user, before_role: str | None = None) -> None:
    # Imported here: access builds on staff, not the other way round.
    from access.services import accounts_flag_for_employment_change

    accounts_flag_for_employment_change(staff=staff, acting_user=acting_user)
    _run_employment_hooks(staff, before, before_role if before_role is not None else staff.job_role, acting_user)
    _reevaluate(staff.organization)


def _reevaluate(organization) -> None:
    from findings.services import findings_evaluate_organization

    findings_evaluate_organization(organization=organization)


@transaction.atomic
def staff_end_dates_passed(*, organization, today: datetime.date, acting_user=None) -> int:
    """The scheduled catch-up: people whose end date has passed but who are still recorded as
    active or on leave are terminated (and their accounts flagged). Idempotent."""
    due = StaffMember.objects.filter(
        organization=organization, end_date__lt=today,
    ).exclude(employment_status=EmploymentStatus.TERMINATED)
    count = 0
    for staff in due:
        staff_terminate(staff=staff, acting_user=acting_user, end_date=staff.end_date, source="end date passed")
        count += 1
    return count


@transaction.atomic
def enrollment_administrator_add(*, enrollment, staff_member: StaffMember, role: str, acting_user):
    from .models import EnrollmentAdministrator

    if staff_member.organization_id != enrollment.organization_id:
        raise ValidationError("The administrator must be on this practice's roster.")
    if not staff_member.is_active:
        raise ValidationError(f"{staff_member.full_name} is not an active employee.")
    admin, created = EnrollmentAdministrator.objects.update_or_create(
        enrollment=enrollment, staff_member=staff_member, defaults={"role": role})
    record_event("enrollment_administrator.added" if created else "enrollment_administrator.changed",
                 actor=acting_user, organization=enrollment.organization_id, target=admin,
                 changes={"role": [None, role]})
    _reevaluate(enrollment.organization)
    return admin


@transaction.atomic
def enrollment_administrator_remove(*, administrator, acting_user) -> None:
    organization = administrator.enrollment.organization
    record_event("enrollment_administrator.removed", actor=acting_user, organization=organization.pk,
                 target=administrator, changes={"role": [administrator.role, None]})
    administrator.delete()
    _reevaluate(organization)
