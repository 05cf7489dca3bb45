"""Portal accounts, their lifecycle and the provisioning work queue.

Each service takes the acting user (a User, or an Actor for jobs and commands) and writes its audit
event in the same transaction; findings are re-evaluated before the transaction commits, so the
findings page never lags the data.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audits.services import record_event
from carriers.models import PortalEnrollment, PortalFunction
from staff.models import EmploymentStatus, EnrollmentAdministrator, StaffMember

from .lifecycle import check_transition
from .models import LIVE_STATUSES, AccountStatus, PortalAccount, ProvisioningTask
from .policy import policy_for_organization
from .validators import normalize_user_id, validate_password_reference, validate_portal_user_id

# Other apps may hold a deactivation (e.g. offboarding: a leaving portal administrator's own account
# until a successor is recorded). Each guard is called with the task (task_complete) or the account
# (portal_account_transition to deactivated) and raises ValidationError to refuse.
TASK_COMPLETION_GUARDS: list = []


def register_task_completion_guard(func) -> None:
    if func not in TASK_COMPLETION_GUARDS:
        TASK_COMPLETION_GUARDS.append(func)


DEFAULT_TASK_DAYS = {ProvisioningTask.Kind.PROVISION: 3, ProvisioningTask.Kind.CHANGE: 3,
                     ProvisioningTask.Kind.DEACTIVATE: 1}


def _user(acting_user) -> User | None:
    return acting_user if isinstance(acting_user, User) else None


def _reevaluate(organization) -> None:
    from findings.services import findings_evaluate_organization

    findings_evaluate_organization(organization=organization)


def _functions(codes_or_objects: Iterable) -> list[PortalFunction]:
    items = list(codes_or_objects or [])
    codes = [f.code if isinstance(f, PortalFunction) else str(f) for f in items]
    found = {f.code: f for f in PortalFunction.objects.filter(code__in=codes)}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise ValidationError({"functions": f"Unknown portal function(s): {', '.join(unknown)}."})
    return [found[c] for c in dict.fromkeys(codes)]


def portal_user_id_holder(*, enrollment: PortalEnrollment, portal_user_id: str,
                          exclude_pk: int | None = None) -> PortalAccount | None:
    """The live account that already holds this user ID on the same portal, if any."""
    uid = normalize_user_id(portal_user_id)
    if not uid:
        return None
    qs = PortalAccount.objects.filter(
        organization_id=enrollment.organization_id, enrollment__portal_id=enrollment.portal_id,
        portal_user_id__iexact=uid, status__in=LIVE_STATUSES,
    ).select_related("staff_member")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def _check_user_id(enrollment, portal_user_id, *, exclude_pk=None) -> None:
    validate_portal_user_id(portal_user_id)
    holder = portal_user_id_holder(enrollment=enrollment, portal_user_id=portal_user_id, exclude_pk=exclude_pk)
    if holder is not None:
        raise ValidationError({"portal_user_id": (
            f"User ID '{portal_user_id}' on {enrollment.portal.name} is already held by "
            f"{holder.staff_member.full_name}. One person, one credential: record this person's own user ID."
        )})


@transaction.atomic
def portal_account_create(*, staff_member: StaffMember, enrollment: PortalEnrollment, acting_user,
                          functions: Iterable = (), portal_user_id: str = "", status: str = AccountStatus.REQUESTED,
                          password_reference: str = "", mfa_enrolled: bool = False, password_last_changed=None,
                          last_login_attested=None, source: str = PortalAccount.Source.MANUAL,
                          reevaluate: bool = True) -> PortalAccount:
    """Record a portal account. Imported existing data may hold a clash or a generic name: it is
    kept and becomes a finding; anything typed in now is refused instead."""
    if staff_member.organization_id != enrollment.organization_id:
        raise ValidationError("The staff member and the enrollment belong to different organizations.")
    portal_user_id = (portal_user_id or "").strip()
    if source != PortalAccount.Source.IMPORT:
        _check_user_id(enrollment, portal_user_id)
        if status not in (AccountStatus.REQUESTED, AccountStatus.ACTIVE):
            raise ValidationError({"status": "A new account starts as requested or active."})
    if status == AccountStatus.ACTIVE and not portal_user_id:
        raise ValidationError({"portal_user_id": "An active account needs its portal user ID."})
    validate_password_reference(password_reference)
    fns = _functions(functions)
    now = timezone.now()
    account = PortalAccount.objects.create(
        organization_id=staff_member.organization_id, staff_member=staff_member, enrollment=enrollment,
        portal_user_id=portal_user_id, status=status, password_reference=password_reference,
        mfa_enrolled=mfa_enrolled, password_last_changed=password_last_changed,
        last_login_attested=last_login_attested, source=source, status_changed_at=now,
        provisioned_by=_user(acting_user) if status == AccountStatus.ACTIVE else None,
        provisioned_at=now if status == AccountStatus.ACTIVE else None,
    )
    account.functions.set(fns)
    record_event(
        "portal_account.created", actor=acting_user, organization=account.organization_id, target=account,
        changes={"staff_member": [None, staff_member.full_name], "portal": [None, enrollment.portal.name],
                 "portal_user_id": [None, portal_user_id], "status": [None, status],
                 "functions": [None, sorted(f.code for f in fns)], "source": [None, source]},
    )
    if reevaluate:
        _reevaluate(staff_member.organization)
    return account


@transaction.atomic
def portal_account_update(*, account: PortalAccount, acting_user, reevaluate: bool = True, **fields) -> PortalAccount:
    """Change the recorded details of an account (not its status: see portal_account_transition)."""
    account = PortalAccount.objects.select_for_update().select_related("enrollment__portal").get(pk=account.pk)
    allowed = {"portal_user_id", "password_reference", "mfa_enrolled", "password_last_changed",
               "last_login_attested", "functions"}
    changes = {}
    for name, value in fields.items():
        if name not in allowed:
            raise ValueError(f"Not an editable account field: {name}")
        if name == "functions":
            fns = _functions(value)
            old = sorted(account.functions.values_list("code", flat=True))
            new = sorted(f.code for f in fns)
            if old != new:
                account.functions.set(fns)
                changes["functions"] = [old, new]
            continue
        if name == "portal_user_id":
            value = (value or "").strip()
            if normalize_user_id(value) != normalize_user_id(account.portal_user_id):
                _check_user_id(account.enrollment, value, exclude_pk=account.pk)
        if name == "password_reference":
            validate_password_reference(value)
        old = getattr(account, name)
        if old != value:
            setattr(account, name, value)
            changes[name] = [old.isoformat() if isinstance(old, datetime.date) else old,
                             value.isoformat() if isinstance(value, datetime.date) else value]
    if changes:
        account.save()
        record_event("portal_account.updated", actor=acting_user, organization=account.organization_id,
                     target=account, changes=changes)
        if reevaluate:
            _reevaluate(account.organization)
    return account


@transaction.atomic
def portal_account_transition(*, account: PortalAccount, to_status: str, acting_user, reason: str = "",
                              reevaluate: bool = True, completing_task_pk: int | None = None) -> PortalAccount:
    """Move an account along its lifecycle; anything not in access.lifecycle.TRANSITIONS is refused."""
    # The portal is read with the row: the audit events name the account by it (two queries per account).
    account = PortalAccount.objects.select_for_update(of=("self",)).select_related("enrollment__portal").get(
        pk=account.pk)
    before = account.status
    check_transition(before, to_status)
    if to_status == AccountStatus.DEACTIVATED and completing_task_pk is None:
        for guard in TASK_COMPLETION_GUARDS:
            guard(account)
        # The evidence of a deactivation is the payer-side confirmation recorded on its task.
        if account.tasks.filter(kind=ProvisioningTask.Kind.DEACTIVATE, status=ProvisioningTask.Status.OPEN).exists():
            raise ValidationError({"to_status": "Record the open deactivation task as done, with the portal's "
                                                "confirmation, instead of changing the status by hand."})
    if to_status == AccountStatus.ACTIVE and not account.portal_user_id:
        raise ValidationError({"portal_user_id": "Record the portal user ID before marking the account active."})
    now = timezone.now()
    account.status = to_status
    account.status_changed_at = now
    if to_status == AccountStatus.ACTIVE and account.provisioned_at is None:
        account.provisioned_at = now
        account.provisioned_by = _user(acting_user)
    account.save()
    record_event("portal_account.status_changed", actor=acting_user, organization=account.organization_id,
                 target=account, changes={"status": [before, to_status]}, message=reason)
    if to_status == AccountStatus.DEACTIVATED:
        # A deactivated account needs no more work.
        for task in account.tasks.filter(status=ProvisioningTask.Status.OPEN).exclude(pk=completing_task_pk):
            task_cancel(task=task, acting_user=acting_user, reason="account deactivated")
    if reevaluate:
        _reevaluate(account.organization)
    return account


# --- the work queue ----------------------------------------------------------------------------

def enrollment_task_assignee(enrollment: PortalEnrollment) -> StaffMember | None:
    """The portal administrator who gets the work: an active primary, else an active backup."""
    admins = (EnrollmentAdministrator.objects
              .filter(enrollment=enrollment, staff_member__employment_status=EmploymentStatus.ACTIVE)
              .select_related("staff_member").order_by("role", "pk"))  # "backup" < "primary"
    chosen = None
    for admin in admins:
        if admin.role == EnrollmentAdministrator.AdminRole.PRIMARY:
            return admin.staff_member
        chosen = chosen or admin.staff_member
    return chosen


@transaction.atomic
def provisioning_task_create(*, account: PortalAccount, kind: str, acting_user, functions: Iterable = (),
                             due_on: datetime.date | None = None, notes: str = "") -> ProvisioningTask:
    kind = ProvisioningTask.Kind(kind)
    fns = _functions(functions)
    existing = account.tasks.filter(kind=kind, status=ProvisioningTask.Status.OPEN).first()
    if existing is not None:
        # One open task of a kind per account: asking again is idempotent, and asking for other
        # functions replaces what the open task asks for (the latest request wins, audited).
        old = sorted(existing.functions.values_list("code", flat=True))
        new = sorted(f.code for f in fns)
        if kind != ProvisioningTask.Kind.DEACTIVATE and old != new:
            existing.functions.set(fns)
            record_event("provisioning_task.updated", actor=acting_user, organization=account.organization_id,
                         target=existing, changes={"functions": [old, new]}, message=notes)
        return existing
    task = ProvisioningTask.objects.create(
        organization_id=account.organization_id, kind=kind, portal_account=account,
        assignee=enrollment_task_assignee(account.enrollment), notes=notes,
        due_on=due_on or timezone.localdate() + datetime.timedelta(days=DEFAULT_TASK_DAYS[kind]),
        created_by=_user(acting_user),
    )
    task.functions.set(fns)
    record_event("provisioning_task.created", actor=acting_user, organization=account.organization_id, target=task,
                 changes={"kind": [None, kind.value], "account": [None, account.pk],
                          "assignee": [None, str(task.assignee) if task.assignee else None],
                          "functions": [None, sorted(f.code for f in fns)]})
    return task


@transaction.atomic
def task_complete(*, task: ProvisioningTask, acting_user, payer_confirmation: str, portal_user_id: str = "",
                  password_reference: str = "", mfa_enrolled: bool | None = None) -> ProvisioningTask:
    """Record that the work was done on the portal: who, when, and the payer-side confirmation."""
    task = ProvisioningTask.objects.select_for_update().get(pk=task.pk)
    if task.status != ProvisioningTask.Status.OPEN:
        raise ValidationError(f"This task is already {task.get_status_display().lower()}.")
    for guard in TASK_COMPLETION_GUARDS:
        guard(task)
    payer_confirmation = (payer_confirmation or "").strip()
    if not payer_confirmation:
        raise ValidationError({"payer_confirmation": "Record the portal's confirmation (number or message)."})
    account = task.portal_account
    if task.kind == ProvisioningTask.Kind.PROVISION:
        uid = (portal_user_id or account.portal_user_id).strip()
        if not uid:
            raise ValidationError({"portal_user_id": "Record the user ID the portal gave this person."})
        fields = {"portal_user_id": uid, "functions": list(task.functions.all())}
        if password_reference:
            fields["password_reference"] = password_reference
        if mfa_enrolled is not None:
            fields["mfa_enrolled"] = mfa_enrolled
        portal_account_update(account=account, acting_user=acting_user, reevaluate=False, **fields)
        portal_account_transition(account=account, to_status=AccountStatus.ACTIVE, acting_user=acting_user,
                                  reason=f"provisioning task {task.pk}", reevaluate=False)
    elif task.kind == ProvisioningTask.Kind.CHANGE:
        portal_account_update(account=account, acting_user=acting_user, reevaluate=False,
                              functions=list(task.functions.all()))
    else:
        portal_account_transition(account=account, to_status=AccountStatus.DEACTIVATED, acting_user=acting_user,
                                  reason=f"deactivation task {task.pk}", reevaluate=False,
                                  completing_task_pk=task.pk)
    task.status = ProvisioningTask.Status.DONE
    task.completed_by = _user(acting_user)
    task.completed_at = timezone.now()
    task.payer_confirmation = payer_confirmation
    task.save()
    record_event("provisioning_task.completed", actor=acting_user, organization=task.organization_id, target=task,
                 changes={"status": ["open", "done"], "payer_confirmation": [None, payer_confirmation]})
    _reevaluate(account.organization)
    return task


@transaction.atomic
def task_cancel(*, task: ProvisioningTask, acting_user, reason: str = "") -> ProvisioningTask:
    if task.status != ProvisioningTask.Status.OPEN:
        return task
    task.status = ProvisioningTask.Status.CANCELLED
    task.completed_by = _user(acting_user)
    task.completed_at = timezone.now()
    task.save(update_fields=["status", "completed_by", "completed_at"])
    record_event("provisioning_task.cancelled", actor=acting_user, organization=task.organization_id, target=task,
                 changes={"status": ["open", "cancelled"]}, message=reason)
    return task


# --- joiners, movers and leavers ---------------------------------------------------------------

def proposed_accounts(staff: StaffMember, *, include_changes: bool = False) -> list[dict]:
    """What this person's job role needs across the practice's registered portals: for each
    enrollment, the functions the policy allows that the portal offers, where the person has no live
    account yet. With include_changes (the wizard, for a mover), a portal where they hold an active
    or suspended account is proposed as a change when its functions differ from the policy's."""
    allowed = policy_for_organization(staff.organization).get(staff.job_role, frozenset())
    live = {a.enrollment_id: a for a in PortalAccount.objects.filter(staff_member=staff, status__in=LIVE_STATUSES)
            .prefetch_related("functions")}
    enrollments = (PortalEnrollment.objects
                   .filter(organization=staff.organization, status=PortalEnrollment.Status.REGISTERED)
                   .select_related("portal").prefetch_related("portal__functions").order_by("portal__name", "pk"))
    proposals = []
    for enrollment in enrollments:
        offered = list(enrollment.portal.functions.all())
        functions = [f for f in offered if f.code in allowed]
        account = live.get(enrollment.pk)
        if account is None:
            if functions:
                proposals.append({"enrollment": enrollment, "functions": functions, "offered": offered,
                                  "account": None, "held": []})
            continue
        if not include_changes or account.status not in (AccountStatus.ACTIVE, AccountStatus.SUSPENDED):
            continue
        held = sorted(f.code for f in account.functions.all())
        if functions and held != sorted(f.code for f in functions):
            proposals.append({"enrollment": enrollment, "functions": functions, "offered": offered,
                              "account": account, "held": held})
    return proposals


@transaction.atomic
def provisioning_plan_apply(*, staff: StaffMember, acting_user,
                            selections: list[tuple[PortalEnrollment, list[str]]]) -> list[ProvisioningTask]:
    """Create the requested accounts and a provisioning task for each portal's administrator (or,
    where the person already has an account, a task to change its functions). Functions beyond the
    job role's policy are refused here: they need an exception on the account."""
    if not staff.is_active:
        raise ValidationError(f"{staff.full_name} is not an active employee; nothing to provision.")
    allowed = policy_for_organization(staff.organization).get(staff.job_role, frozenset())
    tasks = []
    for enrollment, codes in selections:
        if enrollment.organization_id != staff.organization_id:
            raise ValidationError("That enrollment belongs to another organization.")
        beyond = sorted(set(codes) - allowed)
        if beyond:
            names = dict(PortalFunction.objects.filter(code__in=beyond).values_list("code", "name"))
            raise ValidationError(
                f"{', '.join(names.get(c, c) for c in beyond)} on {enrollment.portal.name} is beyond the "
                f"{staff.get_job_role_display().lower()} policy; grant it later with an approved exception."
            )
        offered = set(enrollment.portal.functions.values_list("code", flat=True))
        if set(codes) - offered:
            raise ValidationError(f"{enrollment.portal.name} does not offer {', '.join(sorted(set(codes) - offered))}.")
        if not codes:
            continue
        existing = PortalAccount.objects.filter(
            staff_member=staff, enrollment=enrollment,
            status__in=(AccountStatus.ACTIVE, AccountStatus.SUSPENDED)).first()
        if existing is not None:
            tasks.append(provisioning_task_create(account=existing, kind=ProvisioningTask.Kind.CHANGE,
                                                  acting_user=acting_user, functions=codes))
            continue
        account = PortalAccount.objects.filter(staff_member=staff, enrollment=enrollment,
                                               status=AccountStatus.REQUESTED).first()
        if account is None:
            account = portal_account_create(staff_member=staff, enrollment=enrollment, acting_user=acting_user,
                                            functions=codes, source=PortalAccount.Source.WIZARD, reevaluate=False)
        tasks.append(provisioning_task_create(account=account, kind=ProvisioningTask.Kind.PROVISION,
                                              acting_user=acting_user, functions=codes))
    record_event("staff.provisioning_planned", actor=acting_user, organization=staff.organization_id, target=staff,
                 changes={"tasks": [None, [t.pk for t in tasks]]})
    _reevaluate(staff.organization)
    return tasks


# Status changes that cannot be taken back: the account page shows what they set in motion and asks to confirm.
CONFIRMED_STATUSES = frozenset({AccountStatus.DEACTIVATION_PENDING, AccountStatus.DEACTIVATED})


@transaction.atomic
def portal_account_deactivate(*, account: PortalAccount, acting_user, reason: str = "", notes: str = "",
                              reevaluate: bool = True) -> ProvisioningTask | None:
    """Start removing an account: a request not yet carried out is withdrawn (deactivated at once); a live
    account moves to deactivation pending and its portal administrator gets a deactivation task (the payer's
    confirmation is recorded on that task). Returns the task, or None for a withdrawn request."""
    if account.status == AccountStatus.REQUESTED:
        portal_account_transition(account=account, to_status=AccountStatus.DEACTIVATED, acting_user=acting_user,
                                  reason=reason or "request withdrawn", reevaluate=reevaluate)
        return None
    if account.status != AccountStatus.DEACTIVATION_PENDING:
        portal_account_transition(account=account, to_status=AccountStatus.DEACTIVATION_PENDING,
                                  acting_user=acting_user, reason=reason, reevaluate=False)
    task = provisioning_task_create(account=account, kind=ProvisioningTask.Kind.DEACTIVATE, acting_user=acting_user,
                                    notes=notes or reason)
    if reevaluate:
        _reevaluate(account.organization)
    return task


def task_consequence(account: PortalAccount, kind: str, open_tasks=None) -> str:
    """Who gets the work a change asks for, and by when, as provisioning_task_create will decide it."""
    kind = ProvisioningTask.Kind(kind)
    if open_tasks is None:
        open_tasks = list(account.tasks.filter(status=ProvisioningTask.Status.OPEN).select_related("assignee"))
    existing = next((t for t in open_tasks if t.kind == kind), None)
    label = {ProvisioningTask.Kind.PROVISION: "account creation", ProvisioningTask.Kind.CHANGE: "function change",
             ProvisioningTask.Kind.DEACTIVATE: "deactivation"}[kind]
    if existing is not None:
        return (f"The open {label} task #{existing.pk} stays with "
                f"{existing.assignee.full_name if existing.assignee else 'no one yet'}.")
    assignee = enrollment_task_assignee(account.enrollment)
    due = timezone.localdate() + datetime.timedelta(days=DEFAULT_TASK_DAYS[kind])
    to = (assignee.full_name if assignee else
          f"no one: {account.enrollment.portal.name} has no active portal administrator; name one on its enrollment")
    return f"A {label} task goes to {to}, due {due:%Y-%m-%d}; it is done when the portal's confirmation is recorded."


def transition_consequences(account: PortalAccount, to_status: str) -> list[str]:
    """What a status change will set in motion, in words, before it is made (for the confirmation step).
    Raises InvalidTransition for a change the lifecycle does not allow, as the change itself would."""
    check_transition(account.status, to_status)
    who = account.staff_member.full_name
    portal = account.enrollment.portal.name
    user_id = account.portal_user_id or "not recorded"
    open_tasks = list(account.tasks.filter(status=ProvisioningTask.Status.OPEN).select_related("assignee"))
    lines = []
    if to_status == AccountStatus.DEACTIVATION_PENDING:
        lines.append(f"{who}'s {portal} account (user ID {user_id}) moves to deactivation pending: it counts as "
                     "access still to remove until the portal confirms the deactivation.")
        lines.append(task_consequence(account, ProvisioningTask.Kind.DEACTIVATE, open_tasks))
        lines.append("This cannot be undone: once pending, the account can only become deactivated.")
    elif to_status == AccountStatus.DEACTIVATED:
        if account.status == AccountStatus.REQUESTED:
            lines.append(f"The request for a {portal} account for {who} is withdrawn.")
        else:
            lines.append(f"{who}'s {portal} account (user ID {user_id}) is recorded as deactivated on the portal. "
                         "Write the portal's confirmation in the reason.")
        if open_tasks:
            lines.append(f"{len(open_tasks)} open task{'s' if len(open_tasks) != 1 else ''} on this account "
                         f"({', '.join(f'#{t.pk} {t.get_kind_display().lower()}' for t in open_tasks)}) "
                         f"{'are' if len(open_tasks) != 1 else 'is'} cancelled.")
        lines.append("This is final: a deactivated account never becomes active again; a returning person gets "
                     "a new account request.")
    return lines


@transaction.atomic
def accounts_flag_for_employment_change(*, staff: StaffMember, acting_user) -> list[ProvisioningTask]:
    """A leaver's accounts all go to deactivation pending at once, each with a deactivation task;
    requests not yet carried out are withdrawn. (Someone on leave keeps their accounts, and an
    active one shows as a finding until it is suspended.) Custodied credentials need rotating."""
    tasks = []
    if staff.employment_status != EmploymentStatus.TERMINATED:
        return tasks
    # With the person and the portal: each deactivation task's audit events name them (three queries an account).
    accounts = PortalAccount.objects.filter(staff_member=staff, status__in=LIVE_STATUSES).select_related(
        "staff_member", "enrollment__portal")
    for account in accounts:
        task = portal_account_deactivate(
            account=account, acting_user=acting_user, reevaluate=False,
            reason="request withdrawn: person left" if account.status == AccountStatus.REQUESTED else "person left")
        if task is not None:
            tasks.append(task)
    from .policy_services import credentials_flag_for_custodian

    credentials_flag_for_custodian(staff=staff, acting_user=acting_user)
    return tasks
