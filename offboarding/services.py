"""Leavers: the checklist (one hour by default), administrator succession, completion.

Every change goes through a service that takes the acting user (a User, an Actor for jobs, or None for
the current context) and writes its audit event in the same transaction. Everything here is
idempotent: the checklist is derived from the records (accounts, tasks, credentials, administrators),
so running it twice, or again after a crash, gives the same checklist.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from access.models import LIVE_STATUSES, AccountStatus, OrganizationCredential, PortalAccount, ProvisioningTask
from accounts.models import User
from audits.services import record_event, record_events
from carriers.models import PortalEnrollment
from core.context import current_actor
from staff.models import EmploymentStatus, EnrollmentAdministrator, StaffMember

from . import notify
from .models import DEFAULT_DEADLINE_MINUTES, DEFAULT_REMINDER_DAYS, ChecklistItem, OffboardingCase, OffboardingSettings

Item = ChecklistItem
LEAVER_STATUSES = (EmploymentStatus.TERMINATED, EmploymentStatus.ON_LEAVE)


def _label(acting_user) -> str:
    if isinstance(acting_user, User):
        return acting_user.email
    if acting_user is not None and hasattr(acting_user, "label"):
        return acting_user.label
    actor = current_actor()
    return actor.label if actor else "system"


# --- settings ----------------------------------------------------------------------------------

def settings_for(organization) -> tuple[int, list[int]]:
    row = OffboardingSettings.objects.filter(organization=organization).first()
    if row is None:
        return DEFAULT_DEADLINE_MINUTES, list(DEFAULT_REMINDER_DAYS)
    return row.deadline_minutes, sorted(set(row.reminder_days or DEFAULT_REMINDER_DAYS), reverse=True)


@transaction.atomic
def settings_update(*, organization, acting_user, deadline_minutes: int, reminder_days: list[int]):
    if not 5 <= int(deadline_minutes) <= 7 * 24 * 60:
        raise ValidationError({"deadline_minutes": "Give between 5 minutes and 7 days (10080 minutes)."})
    days = sorted({int(d) for d in reminder_days}, reverse=True)
    if not days or any(d < 0 or d > 90 for d in days):
        raise ValidationError({"reminder_days": "Give one or more whole days between 0 and 90."})
    before = settings_for(organization)
    row, _ = OffboardingSettings.objects.get_or_create(organization=organization)
    row.deadline_minutes, row.reminder_days = int(deadline_minutes), days
    row.updated_by = acting_user if isinstance(acting_user, User) else None
    row.save()
    record_event("offboarding.settings_changed", actor=acting_user, organization=organization, target=row,
                 changes={"deadline_minutes": [before[0], row.deadline_minutes],
                          "reminder_days": [before[1], days]})
    return row


# --- opening a leaver's checklist ----------------------------------------------------------------

def _successor_recorded(enrollment_id: int, leaver: StaffMember, leaver_role: str, since) -> bool:
    """A successor holds the leaver's role (primary for a primary) and is an active employee."""
    others = EnrollmentAdministrator.objects.filter(
        enrollment_id=enrollment_id, staff_member__employment_status=EmploymentStatus.ACTIVE,
    ).exclude(staff_member=leaver)
    if leaver_role == EnrollmentAdministrator.AdminRole.PRIMARY:
        others = others.filter(role=EnrollmentAdministrator.AdminRole.PRIMARY)
    return others.exists()


def _dependents(enrollment_id: int, leaver: StaffMember) -> list[dict]:
    """The accounts on this enrollment that depend on the leaving administrator (on some portals,
    e.g. myCGS, terminating an administrator's ID terminates every user they created)."""
    rows = (PortalAccount.objects.filter(enrollment_id=enrollment_id, status__in=LIVE_STATUSES)
            .exclude(staff_member=leaver)
            .values_list("pk", "staff_member__full_name", "portal_user_id", "status")
            .order_by("staff_member__full_name", "pk"))
    return [{"account": pk, "person": name, "portal_user_id": uid, "status": status}
            for pk, name, uid, status in rows]


@transaction.atomic
def leaver_flag(*, staff: StaffMember, acting_user=None, now=None) -> OffboardingCase | None:
    """Open (or bring up to date) the checklist of a person who left or went on leave. Idempotent.

    The person's accounts were flagged by access.services.accounts_flag_for_employment_change when the
    termination was recorded; this adds the deadline (one hour by default), administrator succession
    first, the hold on the administrator's own deactivation, and the e-mails to each portal's administrator.
    """
    now = now or timezone.now()
    staff = StaffMember.objects.select_for_update().get(pk=staff.pk)
    if staff.employment_status not in LEAVER_STATUSES:
        return None
    deadline, _ = settings_for(staff.organization)
    case = OffboardingCase.objects.filter(staff_member=staff, completed_at__isnull=True).first()
    created = case is None
    if created:
        case = OffboardingCase.objects.create(
            organization=staff.organization, staff_member=staff, reason=staff.employment_status, recorded_at=now,
            end_date=staff.end_date, deadline_minutes=deadline, due_at=now + datetime.timedelta(minutes=deadline),
            recorded_by_label=_label(acting_user),
        )
        record_event("offboarding.case_opened", actor=acting_user, organization=staff.organization, target=case,
                     changes={"reason": [None, case.reason], "due_at": [None, case.due_at.isoformat()]},
                     message=f"{staff.full_name}: every portal access to end by {timezone.localtime(case.due_at):%Y-%m-%d %H:%M %Z}")
    elif case.reason != staff.employment_status:
        # On leave, then terminated: the one-hour clock starts again for the termination.
        before = case.reason
        case.reason, case.end_date = staff.employment_status, staff.end_date
        case.due_at = now + datetime.timedelta(minutes=case.deadline_minutes)
        case.save(update_fields=["reason", "end_date", "due_at"])
        record_event("offboarding.case_changed", actor=acting_user, organization=staff.organization, target=case,
                     changes={"reason": [before, case.reason], "due_at": [None, case.due_at.isoformat()]})
    _ensure_items(case, staff, acting_user, now)
    case_sync(case=case, acting_user=acting_user, now=now)
    if created or case.reason == EmploymentStatus.TERMINATED:
        _notify_portal_administrators(case, staff)
    return case


def _ensure_items(case: OffboardingCase, staff: StaffMember, acting_user, now) -> None:
    existing = set(case.items.values_list("key", flat=True))
    new: list[ChecklistItem] = []

    def add(key, kind, **kw):
        if key not in existing:
            existing.add(key)
            new.append(ChecklistItem(case=case, organization_id=case.organization_id, key=key, kind=kind,
                                     sort=ChecklistItem.SORT[kind], due_at=case.due_at, **kw))

    successor_needed: set[int] = set()
    if case.reason == EmploymentStatus.TERMINATED:
        for adm in (EnrollmentAdministrator.objects.filter(staff_member=staff)
                    .select_related("enrollment").order_by("enrollment_id")):
            if adm.enrollment.status != PortalEnrollment.Status.REGISTERED:
                continue
            if not _successor_recorded(adm.enrollment_id, staff, adm.role, case.recorded_at):
                successor_needed.add(adm.enrollment_id)
            add(f"successor:{adm.enrollment_id}", Item.Kind.SUCCESSOR, enrollment_id=adm.enrollment_id,
                dependents=_dependents(adm.enrollment_id, staff))
        accounts = PortalAccount.objects.filter(staff_member=staff, status__in=LIVE_STATUSES).exclude(
            status=AccountStatus.REQUESTED)
        open_tasks = {t.portal_account_id: t for t in ProvisioningTask.objects.filter(
            portal_account__staff_member=staff, kind=ProvisioningTask.Kind.DEACTIVATE,
            status=ProvisioningTask.Status.OPEN)}
        for acct in accounts:
            task = open_tasks.get(acct.pk)
            # Held: the task stays in the queue, but offboarding.hooks.held_deactivation_guard refuses to
            # complete it until a successor administrator is recorded.
            held = acct.enrollment_id in successor_needed
            add(f"deactivate:{acct.pk}", Item.Kind.DEACTIVATE, enrollment_id=acct.enrollment_id,
                portal_account=acct, task=task, status=Item.Status.HELD if held else Item.Status.OPEN)
        for cred in OrganizationCredential.objects.filter(custodians=staff, rotation_required=True):
            add(f"rotate:{cred.pk}", Item.Kind.ROTATE, credential=cred, enrollment_id=cred.enrollment_id)
    else:
        for acct in PortalAccount.objects.filter(staff_member=staff, status=AccountStatus.ACTIVE):
            add(f"suspend:{acct.pk}", Item.Kind.SUSPEND, enrollment_id=acct.enrollment_id, portal_account=acct)
    ChecklistItem.objects.bulk_create(new)
    # The tasks' own date follows the checklist's deadline (the queue shows dates).
    due_date = timezone.localdate(case.due_at)
    ProvisioningTask.objects.filter(
        pk__in=[i.task_id for i in case.items.filter(task__isnull=False, task__status=ProvisioningTask.Status.OPEN)],
        due_on__gt=due_date,
    ).update(due_on=due_date)


def _notify_portal_administrators(case: OffboardingCase, staff: StaffMember) -> int:
    """Each portal's administrators (not the leaver) get one e-mail per case listing their portals;
    portals with nobody else to act go to the practice's PortalGov administrators."""
    items = list(case.items.filter(kind__in=[Item.Kind.DEACTIVATE, Item.Kind.SUSPEND, Item.Kind.SUCCESSOR])
                 .select_related("enrollment__portal", "portal_account"))
    if not items:
        return 0
    by_enrollment = notify.portal_administrator_emails({i.enrollment_id for i in items}, exclude_staff_ids=[staff.pk])
    fallback = notify.practice_administrator_emails(case.organization)
    lines_by_recipient: dict[str, list[str]] = {}
    for item in items:
        portal = item.enrollment.portal.name if item.enrollment else "portal"
        if item.kind == Item.Kind.SUCCESSOR:
            line = (f"- {portal}: {staff.full_name} was a portal administrator. Appoint a successor FIRST; "
                    f"{len(item.dependents)} account(s) depend on this administrator.")
        else:
            verb = "Deactivate" if item.kind == Item.Kind.DEACTIVATE else "Suspend"
            uid = item.portal_account.portal_user_id if item.portal_account else ""
            held = " (held until a successor administrator is recorded)" if item.status == Item.Status.HELD else ""
            line = f"- {portal}: {verb} user ID '{uid}'{held}"
        for recipient in by_enrollment.get(item.enrollment_id) or fallback:
            lines_by_recipient.setdefault(recipient, []).append(line)
    due = timezone.localtime(case.due_at)
    verb = "left the practice" if case.reason == EmploymentStatus.TERMINATED else "is on leave"
    url = notify.case_url(case)
    key = f"case:{case.pk}:{case.reason}"
    messages = []
    for recipient, lines in sorted(lines_by_recipient.items()):
        subject = f"{staff.full_name} {verb}: portal access must end by {due:%H:%M %Z} on {due:%Y-%m-%d}"
        body = "\n".join([
            f"{staff.full_name} {verb}. As a portal administrator, please act on these portals:", "", *lines, "",
            "Record each deactivation and the portal's confirmation on the offboarding checklist:", url,
        ])
        messages.append((key, recipient, subject, body))
    # One read, one INSERT of the notices and one of their audit events, however many recipients (a
    # savepoint, a notice and an event per recipient cost ~4 statements each: 15 recipients a leaver).
    sent = notify.notify_many(organization=case.organization, kind="leaver", messages=messages)
    record_events([dict(action="offboarding.administrator_notified", organization=case.organization_id, target=case,
                        changes={"recipient": [None, recipient]}) for _, recipient in sent])
    return len(sent)


# --- keeping the checklist in step with the records ---------------------------------------------

@transaction.atomic
def case_sync(*, case: OffboardingCase, acting_user=None, now=None) -> OffboardingCase:
    """Derive each item's state from the records; release held deactivations once a successor is
    recorded; close the case when nothing is left. Idempotent."""
    now = now or timezone.now()
    case = OffboardingCase.objects.select_for_update(of=("self",)).select_related("staff_member", "organization").get(pk=case.pk)
    if case.completed_at:
        return case
    staff = case.staff_member
    items = list(case.items.select_related("portal_account", "credential", "task"))
    admin_roles = dict(EnrollmentAdministrator.objects.filter(staff_member=staff).values_list("enrollment_id", "role"))
    successors_done = set()
    changed = []
    returned = staff.employment_status == EmploymentStatus.ACTIVE
    for item in items:
        if item.kind == Item.Kind.SUCCESSOR and item.is_pending:
            role = admin_roles.get(item.enrollment_id, EnrollmentAdministrator.AdminRole.PRIMARY)
            if item.enrollment_id and _successor_recorded(item.enrollment_id, staff, role, case.recorded_at):
                successor = (EnrollmentAdministrator.objects.filter(
                    enrollment_id=item.enrollment_id, staff_member__employment_status=EmploymentStatus.ACTIVE)
                    .exclude(staff_member=staff).select_related("staff_member").order_by("role", "-pk").first())
                _finish(item, now, successor.staff_member.full_name if successor else "successor recorded",
                        _label(acting_user))
                changed.append(item)
        if item.kind == Item.Kind.SUCCESSOR and not item.is_pending:
            successors_done.add(item.enrollment_id)
    pending_successors = {i.enrollment_id for i in items if i.kind == Item.Kind.SUCCESSOR and i.is_pending}
    for item in items:
        if not item.is_pending or item.kind == Item.Kind.SUCCESSOR:
            continue
        acct = item.portal_account
        if item.kind == Item.Kind.DEACTIVATE:
            if acct is None or acct.status == AccountStatus.DEACTIVATED:
                done = (ProvisioningTask.objects.filter(portal_account=acct, kind=ProvisioningTask.Kind.DEACTIVATE,
                                                        status=ProvisioningTask.Status.DONE)
                        .select_related("completed_by").order_by("-completed_at").first() if acct else None)
                _finish(item, done.completed_at if done else now,
                        done.payer_confirmation if done else "deactivated",
                        done.completed_by.email if done and done.completed_by else _label(acting_user),
                        task=done)
                changed.append(item)
            elif item.status == Item.Status.HELD and item.enrollment_id not in pending_successors:
                _release(item, case, acting_user, now)
                changed.append(item)
            elif item.status == Item.Status.OPEN and (item.task is None or item.task.status != "open"):
                task = acct.tasks.filter(kind=ProvisioningTask.Kind.DEACTIVATE, status="open").first()
                if task is None and acct.status in LIVE_STATUSES and acct.staff_member.employment_status == \
                        EmploymentStatus.TERMINATED:
                    from access.services import provisioning_task_create

                    task = provisioning_task_create(account=acct, kind=ProvisioningTask.Kind.DEACTIVATE,
                                                    acting_user=acting_user, due_on=timezone.localdate(item.due_at))
                if task is not None and task.pk != item.task_id:
                    item.task = task
                    changed.append(item)
        elif item.kind == Item.Kind.SUSPEND:
            if acct is None or acct.status != AccountStatus.ACTIVE:
                _finish(item, now, item.confirmation or (acct.get_status_display().lower() if acct else ""),
                        item.done_by_label or _label(acting_user))
                changed.append(item)
            elif returned:
                item.status = Item.Status.CANCELLED
                changed.append(item)
        elif item.kind == Item.Kind.ROTATE:
            cred = item.credential
            if cred is None or not cred.rotation_required:
                _finish(item, now, f"rotated {cred.rotated_on:%Y-%m-%d}" if cred and cred.rotated_on else "rotated",
                        _label(acting_user))
                changed.append(item)
    if changed:
        ChecklistItem.objects.bulk_update(
            list({i.pk: i for i in changed}.values()),
            ["status", "done_at", "done_by_label", "confirmation", "task", "due_at"])
    if not any(i.is_pending for i in items):
        case.completed_at = now
        case.save(update_fields=["completed_at"])
        on_time = all((i.done_at or now) <= i.due_at for i in items)
        record_event("offboarding.case_completed", actor=acting_user, organization=case.organization_id,
                     target=case, changes={"completed_at": [None, now.isoformat()], "on_time": [None, on_time]})
    return case


def _finish(item, when, confirmation: str, by: str, task=None) -> None:
    item.status = Item.Status.DONE
    item.done_at = when
    item.confirmation = (confirmation or "")[:300]
    item.done_by_label = by[:254]
    if task is not None:
        item.task = task


def _release(item, case, acting_user, now) -> None:
    """A successor is recorded: the administrator's own deactivation goes ahead, with a fresh deadline."""
    from access.services import provisioning_task_create

    item.status = Item.Status.OPEN
    item.due_at = max(item.due_at, now + datetime.timedelta(minutes=case.deadline_minutes))
    task = item.task if item.task is not None and item.task.status == ProvisioningTask.Status.OPEN else None
    if task is None:
        task = provisioning_task_create(account=item.portal_account, kind=ProvisioningTask.Kind.DEACTIVATE,
                                        acting_user=acting_user, due_on=timezone.localdate(item.due_at),
                                        notes="Successor administrator recorded; the hold is released.")
    elif task.due_on is None or task.due_on > timezone.localdate(item.due_at):
        ProvisioningTask.objects.filter(pk=task.pk).update(due_on=timezone.localdate(item.due_at))
    item.task = task
    record_event("offboarding.deactivation_released", actor=acting_user, organization=case.organization_id,
                 target=item, changes={"status": ["held", "open"], "due_at": [None, item.due_at.isoformat()]})


# --- doing the work from the checklist ---------------------------------------------------------

@transaction.atomic
def item_complete(*, item: ChecklistItem, acting_user, confirmation: str) -> ChecklistItem:
    """Record one item as done on the portal: who, when, and the payer-side confirmation."""
    item = ChecklistItem.objects.select_for_update(of=("self",)).select_related("case", "task", "portal_account",
                                                                   "credential").get(pk=item.pk)
    confirmation = (confirmation or "").strip()
    if item.status == Item.Status.HELD:
        raise ValidationError("This administrator's own account is held: record a successor administrator first.")
    if not item.is_pending:
        raise ValidationError(f"This item is already {item.get_status_display().lower()}.")
    if item.kind == Item.Kind.SUCCESSOR:
        raise ValidationError("Record the successor administrator (name them) instead.")
    if not confirmation:
        raise ValidationError({"confirmation": "Record the portal's confirmation (number or message)."})
    if item.kind == Item.Kind.DEACTIVATE:
        from access.services import task_complete

        task = item.task or item.portal_account.tasks.filter(kind="deactivate", status="open").first()
        if task is None:
            raise ValidationError("There is no open deactivation task for this account.")
        task_complete(task=task, acting_user=acting_user, payer_confirmation=confirmation)
    elif item.kind == Item.Kind.SUSPEND:
        from access.services import portal_account_transition

        portal_account_transition(account=item.portal_account, to_status=AccountStatus.SUSPENDED,
                                  acting_user=acting_user, reason=f"on leave; portal confirmation: {confirmation}")
        item.confirmation, item.done_by_label = confirmation, _label(acting_user)
        item.save(update_fields=["confirmation", "done_by_label"])
    elif item.kind == Item.Kind.ROTATE:
        from access.policy_services import credential_rotated

        credential_rotated(credential=item.credential, acting_user=acting_user)
    record_event("offboarding.item_completed", actor=acting_user, organization=item.organization_id, target=item,
                 changes={"status": [item.status, "done"], "confirmation": [None, confirmation]})
    case_sync(case=item.case, acting_user=acting_user)
    item.refresh_from_db()
    return item


@transaction.atomic
def successor_record(*, item: ChecklistItem, successor: StaffMember, acting_user) -> ChecklistItem:
    """Name the new primary administrator of the enrollment the leaver administered; the leaver's own
    deactivation on that portal is then released."""
    item = ChecklistItem.objects.select_for_update(of=("self",)).select_related("case__staff_member", "enrollment").get(pk=item.pk)
    if item.kind != Item.Kind.SUCCESSOR or not item.is_pending:
        raise ValidationError("This item does not need a successor.")
    if successor.organization_id != item.organization_id:
        raise ValidationError({"successor": "The successor must be on this practice's roster."})
    if successor.pk == item.case.staff_member_id:
        raise ValidationError({"successor": "The person leaving cannot succeed themselves."})
    from staff.services import enrollment_administrator_add

    enrollment_administrator_add(enrollment=item.enrollment, staff_member=successor,
                                 role=EnrollmentAdministrator.AdminRole.PRIMARY, acting_user=acting_user)
    record_event("offboarding.successor_recorded", actor=acting_user, organization=item.organization_id, target=item,
                 changes={"successor": [None, successor.full_name]})
    case_sync(case=item.case, acting_user=acting_user)
    item.refresh_from_db()
    return item


@transaction.atomic
def leaver_record(*, staff: StaffMember, acting_user, reason: str, end_date=None) -> OffboardingCase | None:
    """Record a termination or a leave from the offboarding page (the roster page and the roster
    import reach the same checklist through staff.services)."""
    from staff.services import staff_terminate, staff_update

    if reason == EmploymentStatus.TERMINATED:
        staff_terminate(staff=staff, acting_user=acting_user, end_date=end_date, source="offboarding")
    elif reason == EmploymentStatus.ON_LEAVE:
        staff_update(staff=staff, acting_user=acting_user, source="offboarding", employment_status=reason)
    else:
        raise ValidationError({"reason": "Choose left the practice or on leave."})
    staff.refresh_from_db()
    return leaver_flag(staff=staff, acting_user=acting_user)


# --- external re-certification dates -------------------------------------------------------------

@transaction.atomic
def recertification_record(*, organization, enrollment, acting_user, portal_account=None, last_certified_on=None,
                           due_on=None):
    """Record a payer's own re-certification date (per account, or per enrollment when no account).
    Without a due date, it is the last certification plus the portal's re-certification interval."""
    from carriers.models import PortalAccountRule

    from .models import ExternalRecertification

    if enrollment.organization_id != organization.pk:
        raise ValidationError({"enrollment": "That enrollment belongs to another organization."})
    if portal_account is not None and portal_account.enrollment_id != enrollment.pk:
        raise ValidationError({"portal_account": "That account is not on this enrollment."})
    if due_on is None:
        interval = PortalAccountRule.objects.filter(portal_id=enrollment.portal_id,
                                                    kind=PortalAccountRule.Kind.RECERT_INTERVAL_DAYS,
                                                    number__isnull=False).values_list("number", flat=True).first()
        if last_certified_on is None or not interval:
            raise ValidationError({"due_on": "Give the due date (this portal's re-certification interval is "
                                             "not known, or no last certification date was given)."})
        due_on = last_certified_on + datetime.timedelta(days=interval)
    row, created = ExternalRecertification.objects.update_or_create(
        organization=organization, enrollment=enrollment, portal_account=portal_account,
        defaults={"last_certified_on": last_certified_on, "due_on": due_on})
    record_event("offboarding.recertification_recorded", actor=acting_user, organization=organization, target=row,
                 changes={"due_on": [None, due_on.isoformat()],
                          "last_certified_on": [None, last_certified_on.isoformat() if last_certified_on else None]})
    from findings.services import findings_evaluate_organization

    findings_evaluate_organization(organization=organization)
    return row
