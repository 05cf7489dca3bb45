"""Movers, leave, the roster-import path, and every job's idempotency: run twice, or crash halfway
and run again, with the same result."""

import datetime

from django.core import mail

from access.models import AccountStatus, ProvisioningTask
from audits.models import AuditEvent
from findings.models import Finding
from findings.services import findings_evaluate_organization
from hygiene.models import JobRun
from hygiene.services import run_daily_hygiene
from offboarding.models import ChecklistItem, Notice, OffboardingCase
from offboarding.services import item_complete, leaver_record
from offboarding.tasks import run_offboarding_sweep
from staff.models import EmploymentStatus, JobRole
from staff.services import staff_update

from ..staff.factories import make_enrollment, make_portal, make_staff
from .conftest import NOW


def snapshot(org):
    """Everything the jobs produce, without ids or clocks."""
    return {
        "cases": sorted(OffboardingCase.objects.filter(organization=org).values_list(
            "staff_member__full_name", "reason", "completed_at")),
        "items": sorted(ChecklistItem.objects.filter(organization=org).values_list(
            "case__staff_member__full_name", "key", "status")),
        "tasks": sorted(ProvisioningTask.objects.filter(organization=org).values_list(
            "portal_account__portal_user_id", "kind", "status")),
        "notices": sorted(Notice.objects.filter(organization=org).values_list("kind", "recipient")),
        "findings": sorted(Finding.objects.filter(organization=org, resolved_at__isnull=True).values_list("key", flat=True)),
        "accounts": sorted(org.portal_accounts.values_list("portal_user_id", "status")),
    }


def test_a_job_role_change_turns_into_change_deactivation_and_provisioning_tasks(world, practice):
    era = make_enrollment(world.org, make_portal("Claims Hub", ["claim_status", "claim_submission"]),
                          admin=practice["ken"])
    findings_evaluate_organization(organization=world.org)  # watermark: everyone's current role
    tom = practice["tom"]
    staff_update(staff=tom, acting_user=world.alice, job_role=JobRole.CODER)
    tasks = {(t.portal_account.enrollment.portal.name, t.kind): t
             for t in ProvisioningTask.objects.filter(portal_account__staff_member=tom, status="open")}
    assert set(tasks) == {("Availity Essentials", "deactivate"), ("myCGS", "change"), ("Claims Hub", "provision")}
    assert set(tasks[("myCGS", "change")].functions.values_list("code", flat=True)) == {"claim_status"}
    assert "Front desk to Coder" in tasks[("myCGS", "change")].notes
    assert set(tasks[("Claims Hub", "provision")].functions.values_list("code", flat=True)) == {
        "claim_status", "claim_submission"}
    assert tasks[("Claims Hub", "provision")].assignee == practice["ken"] and era
    assert tom.portal_accounts.get(enrollment=practice["availity"]).status == AccountStatus.DEACTIVATION_PENDING
    before = snapshot(world.org)
    findings_evaluate_organization(organization=world.org)
    run_daily_hygiene()
    assert snapshot(world.org) == before  # evaluated once: no new tasks on later runs
    assert AuditEvent.objects.filter(action="offboarding.mover_evaluated").count() == 1


def test_leave_means_suspension_items_and_a_return_cancels_them(world, practice):
    case = leaver_record(staff=practice["paula"], acting_user=world.alice, reason=EmploymentStatus.ON_LEAVE)
    item = case.items.get()
    assert item.kind == "suspend" and item.due_at == NOW + datetime.timedelta(hours=1)
    item_complete(item=item, acting_user=world.alice, confirmation="suspended on myCGS")
    case.refresh_from_db()
    assert case.completed_at and practice["paula"].portal_accounts.get().status == AccountStatus.SUSPENDED
    assert "on_leave_with_active_account" not in snapshot(world.org)["findings"]


def test_a_roster_import_termination_reaches_the_checklist(world, practice):
    from staff.roster_import import roster_import

    csv = ("full_name,work_email,job_role,employment_status,end_date\n"
           f"Tom Reed,{practice['tom'].work_email},front_desk,terminated,2026-11-27\n").encode()
    roster_import(organization=world.org, data=csv, acting_user=world.alice)
    case = OffboardingCase.objects.get(staff_member=practice["tom"])
    assert case.items.count() == 2 and case.due_at == NOW + datetime.timedelta(hours=1)


def test_end_dates_passing_are_caught_by_the_daily_job_twice_with_the_same_result(
        world, practice, clock, django_capture_on_commit_callbacks):
    staff_update(staff=practice["paula"], acting_user=world.alice, end_date=datetime.date(2026, 11, 26))
    make_staff(world.other_org, "Olga Other")
    with django_capture_on_commit_callbacks(execute=True):
        first = run_daily_hygiene()
    once = snapshot(world.org)
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        second = run_daily_hygiene()
    assert snapshot(world.org) == once and len(mail.outbox) == sent
    assert first.status == second.status == JobRun.Status.SUCCEEDED
    assert first.counts["access_findings.leavers_flagged"] == 1 and second.counts["access_findings.leavers_flagged"] == 0
    assert once["cases"] == [("Paula Pay", "terminated", None)]
    assert ("Paula Pay", f"deactivate:{practice['accounts'][('Paula Pay', 'myCGS')].pk}", "open") in once["items"]


def test_a_run_that_crashes_halfway_and_runs_again_gives_the_same_result(
        world, practice, clock, monkeypatch, django_capture_on_commit_callbacks):
    staff_update(staff=practice["paula"], acting_user=world.alice, end_date=datetime.date(2026, 11, 26))
    import offboarding.services as services

    real = services._notify_portal_administrators
    calls = {"n": 0}

    def crash_after_the_checklist_is_built(case, staff):
        calls["n"] += 1
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_notify_portal_administrators", crash_after_the_checklist_is_built)
    with django_capture_on_commit_callbacks(execute=True):
        crashed = run_daily_hygiene()
    assert crashed.status == JobRun.Status.FAILED and calls["n"] >= 1
    assert "worker killed" in crashed.errors[0]["error"]
    assert not OffboardingCase.objects.exists() and not mail.outbox  # the organization's step rolled back whole
    assert practice["paula"].portal_accounts.get().status == AccountStatus.ACTIVE
    monkeypatch.setattr(services, "_notify_portal_administrators", real)
    with django_capture_on_commit_callbacks(execute=True):
        rerun = run_daily_hygiene()
    after_rerun = snapshot(world.org)
    with django_capture_on_commit_callbacks(execute=True):
        run_daily_hygiene()
    assert rerun.status == JobRun.Status.SUCCEEDED and snapshot(world.org) == after_rerun
    assert after_rerun["cases"] == [("Paula Pay", "terminated", None)]
    assert [m.subject for m in mail.outbox].count(mail.outbox[0].subject) == 1  # e-mailed once


def test_a_run_left_running_by_a_dead_worker_is_marked_abandoned_by_the_next(world, clock):
    stale = JobRun.objects.create(job="daily_hygiene", started_at=NOW - datetime.timedelta(days=1), actor_label="x")
    run = run_daily_hygiene()
    stale.refresh_from_db()
    assert stale.status == JobRun.Status.FAILED and "abandoned" in stale.errors[-1]["error"]
    assert run.status == JobRun.Status.SUCCEEDED


def test_the_sweep_records_each_run_with_the_job_identity(world, practice, clock):
    from core.context import Actor, acting_as

    leaver_record(staff=practice["paula"], acting_user=world.alice, reason=EmploymentStatus.TERMINATED)
    with acting_as(Actor.job("offboarding.tasks.sweep")):
        run = run_offboarding_sweep()
        again = run_offboarding_sweep()
    assert run.counts["organizations"] == 1 and run.status == "succeeded" and again.counts == run.counts
    assert run.actor_label == "job:offboarding.tasks.sweep"
    event = AuditEvent.objects.filter(action="job.offboarding_sweep.finished").first()
    assert event.actor_label == "job:offboarding.tasks.sweep"
