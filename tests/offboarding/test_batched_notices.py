"""Offboarding's e-mails are recorded in bulk (offboarding.notify.notify_many, audits.services.record_events):
the same notices, e-mails and audit events as the per-recipient path (notify() and record_event() once per
recipient), with a constant number of statements however many recipients."""

import datetime

from django.apps import apps
from django.core import mail
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from access.models import ProvisioningTask
from audits.models import AuditEvent
from audits.services import record_event
from offboarding import notify
from offboarding import services as offboarding_services
from offboarding.jobs import reminders_send
from offboarding.models import ChecklistItem, Notice, OffboardingCase
from staff.models import EmploymentStatus, EnrollmentAdministrator, StaffMember
from staff.services import staff_end_dates_passed

from ..staff.factories import make_staff

EVENT_FIELDS = ("action", "organization_id", "object_type", "object_pk", "object_label", "changes", "message",
                "severity", "actor_type", "actor_label")


def _per_recipient_notify_many(*, organization, kind, messages):
    """The path before the batching: one notify() (a savepoint and an INSERT) per recipient."""
    return [(key[:120], recipient) for key, recipient, subject, body in messages
            if notify.notify(organization=organization, kind=kind, key=key, recipient=recipient, subject=subject,
                             body=body)]


def _per_event_record_events(events):
    return [record_event(**kwargs) for kwargs in events]


def _reset_sequences():
    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _run_daily_leaver_path(org, today):
    """Terminate whoever's end date passed and send the day's reminders; return what it wrote (no ids, no
    timestamps), rolled back afterwards so both paths start from the same state."""
    _reset_sequences()  # both runs give their new rows the same ids (PostgreSQL does not roll sequences back)
    first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    outbox_before = len(mail.outbox)
    with transaction.atomic():
        callbacks_before = len(connection.run_on_commit)
        terminated = staff_end_dates_passed(organization=org, today=today)
        reminders = reminders_send(organization=org)
        for _sids, func, _robust in connection.run_on_commit[callbacks_before:]:
            func()  # the e-mails sent on commit
        state = {
            "counts": (terminated, reminders),
            "staff": sorted(StaffMember.objects.filter(organization=org).values_list("full_name", "employment_status",
                                                                                     "end_date")),
            "cases": sorted(OffboardingCase.objects.filter(organization=org).values_list(
                "staff_member__full_name", "reason", "due_at", "end_date", "recorded_by_label")),
            "items": sorted(ChecklistItem.objects.filter(organization=org).values_list(
                "case__staff_member__full_name", "key", "kind", "status", "due_at", "task__kind", "task__status")),
            "tasks": sorted(ProvisioningTask.objects.filter(organization=org).values_list(
                "portal_account_id", "kind", "status", "assignee_id", "due_on", "notes")),
            "notices": sorted(Notice.objects.filter(organization=org).values_list("kind", "key", "recipient",
                                                                                  "subject")),
            "mail": sorted((m.subject, m.body, tuple(m.to)) for m in mail.outbox[outbox_before:]),
            "events": [tuple(e[f] for f in EVENT_FIELDS) for e in AuditEvent.objects.filter(pk__gt=first_event)
                       .order_by("pk").values(*EVENT_FIELDS)],
        }
        transaction.set_rollback(True)
    return state


def _leavers(world, practice, clock):
    maria, ken = practice["maria"], practice["ken"]
    # Several recipients: Ken backs Maria up on myCGS, Paula and Tom leave too.
    EnrollmentAdministrator.objects.create(enrollment=practice["mycgs"], staff_member=ken, role="backup")
    today = datetime.date(2026, 11, 27)
    yesterday = today - datetime.timedelta(days=1)
    for person in (maria, practice["tom"], practice["paula"]):
        StaffMember.objects.filter(pk=person.pk).update(end_date=yesterday)
    make_staff(world.org, "Still Here")  # not due: untouched
    return today


def test_the_batched_path_writes_the_same_rows_e_mails_and_audit_events_as_the_per_recipient_path(
        world, practice, clock, monkeypatch):
    today = _leavers(world, practice, clock)
    batched = _run_daily_leaver_path(world.org, today)
    with monkeypatch.context() as m:
        m.setattr(notify, "notify_many", _per_recipient_notify_many)
        m.setattr(offboarding_services, "record_events", _per_event_record_events)
        per_recipient = _run_daily_leaver_path(world.org, today)
    assert batched["counts"][0] == 3
    assert batched["notices"] and batched["mail"] and len(batched["mail"]) == len(batched["notices"])
    assert sum(e[0] == "offboarding.administrator_notified" for e in batched["events"]) == len(
        [n for n in batched["notices"] if n[0] == "leaver"])
    assert len({n[2] for n in batched["notices"]}) >= 2  # more than one recipient
    for key in per_recipient:
        assert batched[key] == per_recipient[key], key


def test_notices_cost_one_insert_whatever_the_number_of_recipients_and_none_on_a_rerun(world, practice, clock):
    today = _leavers(world, practice, clock)
    with CaptureQueriesContext(connection) as queries:
        staff_end_dates_passed(organization=world.org, today=today)
    notice_inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "offboarding_notice"')]
    assert len(notice_inserts) == 3  # one per leaver's case, not one per recipient
    assert Notice.objects.filter(organization=world.org, kind="leaver").count() > 3
    sent = Notice.objects.count()
    # Rerun: nothing is sent twice.
    case = OffboardingCase.objects.get(staff_member=practice["tom"])
    assert offboarding_services._notify_portal_administrators(case, practice["tom"]) == 0
    assert Notice.objects.count() == sent
    assert StaffMember.objects.get(pk=practice["tom"].pk).employment_status == EmploymentStatus.TERMINATED


def test_a_notice_recorded_concurrently_falls_back_to_one_by_one(world, monkeypatch):
    """The batch's INSERT fails on a duplicate recorded in between (after the read): each message then goes
    through notify(), which skips the duplicate; a message given twice is sent once."""
    org = world.org
    Notice.objects.create(organization=org, kind="leaver", key="k", recipient="a@x.example", subject="s")
    monkeypatch.setattr(Notice.objects, "filter", lambda *a, **kw: Notice.objects.none())  # the read misses it
    sent = notify.notify_many(organization=org, kind="leaver", messages=[
        ("k", "a@x.example", "s", "b"), ("k", "b@x.example", "s", "b"), ("k", "b@x.example", "s", "b")])
    monkeypatch.undo()
    assert sent == [("k", "b@x.example")]
    assert sorted(Notice.objects.filter(organization=org, kind="leaver", key="k")
                  .values_list("recipient", flat=True)) == ["a@x.example", "b@x.example"]
