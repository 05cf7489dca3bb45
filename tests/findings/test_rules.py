"""Findings over the invariants: no access without employment (2), every active enrollment has an
active administrator (3), functions beyond policy need a live exception (4); the daily job."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from access.models import AccountStatus, ProvisioningTask
from access.policy_services import access_policy_set, exception_approve, exception_request
from access.services import portal_account_create
from audits.models import AuditEvent
from carriers.models import PortalAccountRule, PortalEnrollment
from findings.models import Finding
from findings.services import findings_evaluate_organization
from hygiene.services import run_daily_hygiene
from staff.models import EmploymentStatus, EnrollmentAdministrator, JobRole
from staff.services import staff_terminate, staff_update

from ..staff.factories import make_enrollment, make_staff

TODAY = datetime.datetime(2026, 11, 27, 15, 0, tzinfo=datetime.UTC)


def open_rules(org):
    return sorted(Finding.objects.filter(organization=org, resolved_at__isnull=True).values_list("rule", flat=True))


@pytest.fixture
def practice(world):
    admin = make_staff(world.org, "Maria Admin", job_role=JobRole.PRACTICE_MANAGER)
    enrollments = [make_enrollment(world.org, admin=admin) for _ in range(3)]
    jane = make_staff(world.org, "Jane Doe", job_role=JobRole.FRONT_DESK)
    accounts = [
        portal_account_create(staff_member=jane, enrollment=e, acting_user=world.alice, portal_user_id=f"jdoe{i}",
                              status=AccountStatus.ACTIVE, functions=["eligibility_benefits", "claim_status"])
        for i, e in enumerate(enrollments)
    ]
    return admin, enrollments, jane, accounts


# --- invariant 2 --------------------------------------------------------------------------------

def test_recording_a_termination_flags_every_account_at_once(world, practice):
    admin, enrollments, jane, accounts = practice
    assert open_rules(world.org) == []
    staff_terminate(staff=jane, acting_user=world.alice, end_date=datetime.date(2026, 11, 20))
    statuses = {a.status for a in jane.portal_accounts.all()}
    assert statuses == {AccountStatus.DEACTIVATION_PENDING}
    tasks = ProvisioningTask.objects.filter(portal_account__staff_member=jane, kind="deactivate", status="open")
    assert tasks.count() == 3 and {t.assignee for t in tasks} == {admin}
    # The end date (2026-11-20) passed before the departure was recorded: no offboarding grace, the findings
    # are raised at once (a departure recorded on the day waits for its deadline: tests/offboarding).
    assert open_rules(world.org) == ["leaver_with_account"] * 3
    assert AuditEvent.objects.filter(action="portal_account.status_changed", organization_id=world.org.pk).count() == 3


def test_the_leaver_finding_resolves_once_each_deactivation_is_confirmed(world, practice):
    from access.services import task_complete

    _, _, jane, _ = practice
    staff_terminate(staff=jane, acting_user=world.alice)
    for task in ProvisioningTask.objects.filter(kind="deactivate"):
        task_complete(task=task, acting_user=world.alice, payer_confirmation="Removed, ref 4471")
    assert open_rules(world.org) == []
    assert set(jane.portal_accounts.values_list("status", flat=True)) == {"deactivated"}
    assert set(ProvisioningTask.objects.values_list("status", flat=True)) == {"done"}


def test_the_daily_job_catches_end_dates_that_pass_and_can_run_twice(world, practice):
    _, _, jane, _ = practice
    staff_update(staff=jane, acting_user=world.alice, end_date=datetime.date(2026, 11, 30))
    with time_machine.travel(TODAY, tick=False):
        run_daily_hygiene()
    jane.refresh_from_db()
    assert jane.employment_status == EmploymentStatus.ACTIVE
    with time_machine.travel(TODAY + datetime.timedelta(days=4), tick=False):
        run_daily_hygiene()
        first = open_rules(world.org)
        run_daily_hygiene()
        assert open_rules(world.org) == first
    jane.refresh_from_db()
    assert jane.employment_status == EmploymentStatus.TERMINATED
    assert first == ["leaver_with_account"] * 3
    assert ProvisioningTask.objects.filter(kind="deactivate").count() == 3


def test_an_overdue_deactivation_is_found_by_the_daily_job(world, practice):
    _, _, jane, _ = practice
    with time_machine.travel(TODAY, tick=False):
        staff_terminate(staff=jane, acting_user=world.alice)
    with time_machine.travel(TODAY + datetime.timedelta(days=3), tick=False):
        run_daily_hygiene()
    assert open_rules(world.org).count("deactivation_overdue") == 3


def test_on_leave_with_an_active_account_is_a_finding(world, practice):
    _, _, jane, accounts = practice
    staff_update(staff=jane, acting_user=world.alice, employment_status=EmploymentStatus.ON_LEAVE)
    assert open_rules(world.org) == ["on_leave_with_active_account"] * 3


# --- invariant 3 --------------------------------------------------------------------------------

def test_losing_the_only_administrator_is_a_critical_finding(world, practice):
    admin, enrollments, _, _ = practice
    staff_terminate(staff=admin, acting_user=world.alice)
    found = Finding.objects.filter(rule="enrollment_without_administrator", resolved_at__isnull=True)
    assert found.count() == 3 and {f.severity for f in found} == {"critical"}
    assert {f.enrollment_id for f in found} == {e.pk for e in enrollments}


def test_an_enrollment_not_yet_registered_needs_no_administrator(world):
    make_enrollment(world.org, status=PortalEnrollment.Status.IN_PROGRESS)
    findings_evaluate_organization(organization=world.org)
    assert open_rules(world.org) == []


def test_a_backup_administrator_is_enough_and_the_limit_is_checked(world, practice):
    admin, enrollments, _, _ = practice
    enr = enrollments[0]
    PortalAccountRule.objects.create(portal=enr.portal, kind="max_administrators", value="2", number=2)
    for name in ("Backup One", "Backup Two"):
        EnrollmentAdministrator.objects.create(enrollment=enr, role="backup", staff_member=make_staff(world.org, name))
    findings_evaluate_organization(organization=world.org)
    assert open_rules(world.org) == ["administrator_limit_exceeded"]


# --- invariant 4 --------------------------------------------------------------------------------

def test_functions_beyond_policy_are_a_finding(world, practice):
    admin, enrollments, jane, _ = practice
    portal_account_create(staff_member=jane, enrollment=make_enrollment(world.org, admin=admin),
                          acting_user=world.alice, portal_user_id="jdoe9", status=AccountStatus.ACTIVE,
                          functions=["eligibility_benefits", "remittance_era"])
    finding = Finding.objects.get(rule="beyond_policy", resolved_at__isnull=True)
    assert finding.severity == "high" and "Remittance" in finding.title


def test_an_approved_exception_covers_it_until_it_expires(world, practice):
    admin, _, jane, _ = practice
    with time_machine.travel(TODAY, tick=False):
        account = portal_account_create(
            staff_member=jane, enrollment=make_enrollment(world.org, admin=admin), acting_user=world.alice,
            portal_user_id="jdoe9", status=AccountStatus.ACTIVE, functions=["eligibility_benefits", "remittance_era"])
        exc = exception_request(account=account, function="remittance_era", acting_user=world.alice,
                                reason="Covering ERA posting while the billing specialist is out.",
                                expires_on=datetime.date(2026, 12, 31))
        assert open_rules(world.org) == ["beyond_policy"]  # requested is not approved
        with pytest.raises(ValidationError, match="someone else must approve"):
            exception_approve(exception=exc, acting_user=world.alice)
        exception_approve(exception=exc, acting_user=world.bob)
        assert open_rules(world.org) == []
    with time_machine.travel(datetime.datetime(2026, 12, 31, 20, tzinfo=datetime.UTC), tick=False):
        findings_evaluate_organization(organization=world.org)
        assert open_rules(world.org) == []
    with time_machine.travel(datetime.datetime(2027, 1, 1, 15, tzinfo=datetime.UTC), tick=False):
        run_daily_hygiene()
        assert open_rules(world.org) == ["beyond_policy"]
    assert AuditEvent.objects.filter(action="access_exception.approved", actor_label="bob@cascade.example").exists()


def test_an_exception_needs_a_reason_and_a_future_expiry_within_a_year(world, practice):
    _, _, _, accounts = practice
    with time_machine.travel(TODAY, tick=False):
        with pytest.raises(ValidationError, match="reason"):
            exception_request(account=accounts[0], function="remittance_era", acting_user=world.alice, reason="",
                              expires_on=datetime.date(2026, 12, 31))
        with pytest.raises(ValidationError, match="future"):
            exception_request(account=accounts[0], function="remittance_era", acting_user=world.alice,
                              reason="Because the desk is short-staffed.", expires_on=datetime.date(2026, 11, 27))
        with pytest.raises(ValidationError, match="at most 365"):
            exception_request(account=accounts[0], function="remittance_era", acting_user=world.alice,
                              reason="Because the desk is short-staffed.", expires_on=datetime.date(2028, 1, 1))


def test_editing_the_policy_is_audited_and_re_evaluates(world, practice):
    _, _, jane, _ = practice
    access_policy_set(organization=world.org, job_role=JobRole.FRONT_DESK, function_codes=["eligibility_benefits"],
                      acting_user=world.alice)
    assert open_rules(world.org) == ["beyond_policy"] * 3
    event = AuditEvent.objects.get(action="access_policy.changed")
    assert event.changes["functions"] == [["claim_status", "eligibility_benefits"], ["eligibility_benefits"]]
    access_policy_set(organization=world.org, job_role=JobRole.FRONT_DESK,
                      function_codes=["eligibility_benefits", "claim_status"], acting_user=world.alice)
    assert open_rules(world.org) == []


def test_evaluation_is_idempotent_and_keeps_first_seen(world, practice):
    _, _, jane, _ = practice
    with time_machine.travel(TODAY, tick=False):
        staff_update(staff=jane, acting_user=world.alice, employment_status=EmploymentStatus.ON_LEAVE)
    with time_machine.travel(TODAY + datetime.timedelta(days=1), tick=False):
        counts = findings_evaluate_organization(organization=world.org)
    assert counts["opened"] == 0 and counts["resolved"] == 0
    assert {f.first_seen for f in Finding.objects.all()} == {TODAY}
    assert Finding.objects.count() == 3


def test_other_apps_can_add_rules_and_raise_system_findings(world, practice):
    from findings import rules
    from findings.rules import FindingSpec
    from findings.services import raise_system_finding, resolve_system_finding

    def provider(organization, now):
        return [FindingSpec("test_rule", "medium", "test:1", "A test rule fails")]

    rules.register_rule_provider(provider)
    try:
        findings_evaluate_organization(organization=world.org)
        assert "test_rule" in open_rules(world.org)
    finally:
        rules.RULE_PROVIDERS.remove(provider)
    findings_evaluate_organization(organization=world.org)
    assert "test_rule" not in open_rules(world.org)

    raise_system_finding(rule="audit_log_verification_failed", severity="critical", message="Event 42 altered",
                         details={"problems": ["hash mismatch at 42"]})
    raise_system_finding(rule="audit_log_verification_failed", severity="critical", message="Event 42 altered")
    findings_evaluate_organization(organization=world.org)  # the rules do not resolve a system finding
    assert Finding.objects.filter(rule="audit_log_verification_failed", resolved_at__isnull=True).count() == 2
    assert resolve_system_finding(rule="audit_log_verification_failed") == 2


def test_hooks_for_other_apps_run_in_the_same_change(world, practice):
    from access import services as access_services
    from findings import services as findings_services
    from staff import services as staff_services

    _, _, jane, accounts = practice
    calls = []

    def employment_hook(**kw):
        calls.append(("employment", kw["before_status"], kw["before_role"], kw["staff"].employment_status))

    def pre_hook(**kw):
        calls.append(("pre", kw["organization"].slug))

    def guard(obj):
        raise ValidationError("held until a successor administrator is recorded")

    staff_services.register_employment_change_hook(employment_hook)
    findings_services.register_pre_evaluation_hook(pre_hook)
    access_services.register_task_completion_guard(guard)
    try:
        staff_terminate(staff=jane, acting_user=world.alice)
        assert ("employment", "active", "front_desk", "terminated") in calls and ("pre", "cascade") in calls
        task = ProvisioningTask.objects.filter(kind="deactivate").first()
        with pytest.raises(ValidationError, match="held until a successor"):
            access_services.task_complete(task=task, acting_user=world.alice, payer_confirmation="done")
        task.refresh_from_db()
        assert task.status == "open"
    finally:
        staff_services.EMPLOYMENT_HOOKS.remove(employment_hook)
        findings_services.PRE_EVALUATION_HOOKS.remove(pre_hook)
        access_services.TASK_COMPLETION_GUARDS.remove(guard)


def test_a_credential_rotation_can_be_required_for_another_reason(world, practice):
    from access.policy_services import credential_create, credential_require_rotation

    admin, _, jane, _ = practice
    cred = credential_create(organization=world.org, acting_user=world.alice, kind="submitter", label="Submitter",
                             login_id="SUB123", custodians=[admin, jane])
    credential_require_rotation(credential=cred, acting_user=world.bob, reason="Review: shared with a vendor")
    assert Finding.objects.filter(rule="credential_rotation_due", resolved_at__isnull=True).exists()


def test_evaluating_open_findings_rewrites_only_what_changed(world, practice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, _, jane, _ = practice
    staff_update(staff=jane, acting_user=world.alice, employment_status=EmploymentStatus.ON_LEAVE)
    with CaptureQueriesContext(connection) as queries:
        counts = findings_evaluate_organization(organization=world.org)
    assert counts == {"opened": 0, "resolved": 0, "open": 3}
    # Nothing changed: no finding is rewritten (not even last_seen); the organization's mark moves instead.
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE \"findings_finding\"")]
    assert writes == []
    marks = [q["sql"] for q in queries.captured_queries if "findings_evaluationmark" in q["sql"]]
    assert len(marks) == 1 and marks[0].startswith("INSERT")


def test_an_open_findings_last_seen_is_the_last_evaluation_and_a_resolved_ones_the_last_that_saw_it(world, practice):
    from findings.selectors import findings_list
    from findings.services import raise_system_finding

    _, _, jane, _ = practice
    day1, day2, day3 = TODAY, TODAY + datetime.timedelta(days=1), TODAY + datetime.timedelta(days=2)
    rule = "on_leave_with_active_account"
    on_leave = Finding.objects.filter(organization=world.org, rule=rule, resolved_at__isnull=True)
    with time_machine.travel(day1, tick=False):
        staff_update(staff=jane, acting_user=world.alice, employment_status=EmploymentStatus.ON_LEAVE)
    assert on_leave.count() == 3
    assert {f.seen_through for f in findings_list(organization=world.org, rule=rule)} == {day1}
    with time_machine.travel(day2, tick=False):
        findings_evaluate_organization(organization=world.org)
    assert set(on_leave.values_list("last_seen", flat=True)) == {day1}  # not rewritten...
    assert {f.seen_through for f in findings_list(organization=world.org, rule=rule)} == {day2}  # ...shown as seen
    ids = list(on_leave.values_list("pk", flat=True))
    with time_machine.travel(day3, tick=False):
        # A system finding keeps its own last_seen; another practice's evaluation moves only its own mark.
        raise_system_finding(rule="test_alarm", severity="critical", organization=world.org, message="Alarm")
        findings_evaluate_organization(organization=world.other_org)
    alarm = findings_list(organization=world.org, rule="test_alarm").get()
    assert alarm.seen_through == alarm.last_seen == day3
    assert {f.seen_through for f in findings_list(organization=world.org, rule=rule)} == {day2}
    with time_machine.travel(day3, tick=False):
        staff_update(staff=jane, acting_user=world.alice, employment_status=EmploymentStatus.ACTIVE)
    resolved = findings_list(organization=world.org, state="resolved").filter(pk__in=ids)
    assert len(resolved) == 3
    # Resolved by the day-3 evaluation; last seen by the day-2 one (as when every evaluation rewrote last_seen).
    assert {(f.resolved_at, f.last_seen, f.seen_through) for f in resolved} == {(day3, day2, day2)}
