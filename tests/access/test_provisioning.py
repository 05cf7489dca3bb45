"""A new hire becomes active accounts through the administrators' tasks."""

import pytest
from django.core.exceptions import ValidationError

from access.models import AccountStatus, PortalAccount, ProvisioningTask
from access.services import proposed_accounts, provisioning_plan_apply, task_complete
from audits.models import AuditEvent
from carriers.models import PortalEnrollment
from findings.models import Finding
from staff.models import JobRole
from staff.services import staff_create

from ..staff.factories import make_enrollment, make_portal, make_staff


@pytest.fixture
def directory(world):
    maria = make_staff(world.org, "Maria Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    availity = make_enrollment(world.org, make_portal("Availity Essentials"), admin=maria)
    noridian = make_enrollment(world.org, make_portal("Noridian Medicare Portal",
                                                      ["eligibility_benefits", "claim_status", "remittance_era"]),
                               admin=maria)
    era_only = make_enrollment(world.org, make_portal("ERA Only", ["remittance_era"]), admin=maria)
    pending = make_enrollment(world.org, make_portal("Not Yet"), status=PortalEnrollment.Status.IN_PROGRESS)
    return maria, availity, noridian, era_only, pending


def test_a_new_hire_gets_proposals_tasks_and_then_active_accounts(world, directory):
    maria, availity, noridian, era_only, pending = directory
    tom = staff_create(organization=world.org, acting_user=world.alice, full_name="Tom Reed",
                       work_email="tom@cascade.example", job_role=JobRole.FRONT_DESK)
    proposals = proposed_accounts(tom)
    assert [p["enrollment"] for p in proposals] == [availity, noridian]  # ERA-only and unregistered skipped
    assert {f.code for f in proposals[1]["functions"]} == {"eligibility_benefits", "claim_status"}

    tasks = provisioning_plan_apply(staff=tom, acting_user=world.alice,
                                    selections=[(p["enrollment"], [f.code for f in p["functions"]]) for p in proposals])
    assert len(tasks) == 2 and {t.assignee for t in tasks} == {maria}
    assert set(tom.portal_accounts.values_list("status", flat=True)) == {AccountStatus.REQUESTED}
    assert proposed_accounts(tom) == []  # nothing left to propose

    for n, task in enumerate(tasks):
        task_complete(task=task, acting_user=world.alice, payer_confirmation=f"Availity ticket 88{n}",
                      portal_user_id=f"treed{n}", password_reference="op://Front desk/Tom Reed", mfa_enrolled=True)
    accounts = PortalAccount.objects.filter(staff_member=tom)
    assert set(accounts.values_list("status", flat=True)) == {AccountStatus.ACTIVE}
    acct = accounts.get(enrollment=noridian)
    assert acct.provisioned_by == world.alice and acct.provisioned_at is not None and acct.mfa_enrolled
    assert set(acct.functions.values_list("code", flat=True)) == {"eligibility_benefits", "claim_status"}
    done = ProvisioningTask.objects.get(pk=tasks[1].pk)
    assert done.status == "done" and done.completed_by == world.alice and done.payer_confirmation == "Availity ticket 881"
    assert AuditEvent.objects.filter(action="provisioning_task.completed").count() == 2
    assert not Finding.objects.filter(resolved_at__isnull=True).exists()


def test_functions_beyond_policy_are_refused_in_the_wizard(world, directory):
    maria, availity, *_ = directory
    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    with pytest.raises(ValidationError, match="on Availity Essentials is beyond"):
        provisioning_plan_apply(staff=tom, acting_user=world.alice,
                                selections=[(availity, ["eligibility_benefits", "remittance_era"])])
    assert not PortalAccount.objects.exists() and not ProvisioningTask.objects.exists()


def test_completing_a_task_needs_the_payer_confirmation_and_happens_once(world, directory):
    _, availity, *_ = directory
    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    [task] = provisioning_plan_apply(staff=tom, acting_user=world.alice, selections=[(availity, ["claim_status"])])
    with pytest.raises(ValidationError, match="confirmation"):
        task_complete(task=task, acting_user=world.alice, payer_confirmation=" ", portal_user_id="treed")
    with pytest.raises(ValidationError, match="generic"):
        task_complete(task=task, acting_user=world.alice, payer_confirmation="ok 1", portal_user_id="Front Desk")
    task_complete(task=task, acting_user=world.alice, payer_confirmation="ok 1", portal_user_id="treed")
    with pytest.raises(ValidationError, match="already done"):
        task_complete(task=task, acting_user=world.alice, payer_confirmation="ok 2", portal_user_id="treed")


def test_a_leaver_cannot_be_provisioned(world, directory):
    _, availity, *_ = directory
    gone = make_staff(world.org, "Gone Person", status="terminated")
    with pytest.raises(ValidationError, match="not an active employee"):
        provisioning_plan_apply(staff=gone, acting_user=world.alice, selections=[(availity, ["claim_status"])])


def test_a_mover_gets_change_tasks_for_the_new_job_role(world, directory):
    from staff.services import staff_update

    maria, availity, noridian, *_ = directory
    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    tasks = provisioning_plan_apply(staff=tom, acting_user=world.alice,
                                    selections=[(p["enrollment"], [f.code for f in p["functions"]])
                                                for p in proposed_accounts(tom)])
    for n, task in enumerate(tasks):
        task_complete(task=task, acting_user=world.alice, payer_confirmation="ok", portal_user_id=f"treed{n}")
    tom = staff_update(staff=tom, acting_user=world.alice, job_role=JobRole.BILLING_SPECIALIST)
    proposals = [p for p in proposed_accounts(tom, include_changes=True) if p["account"] is not None]
    assert {p["enrollment"] for p in proposals} == {availity, noridian}
    assert proposals[1]["held"] == ["claim_status", "eligibility_benefits"]
    assert not [p for p in proposed_accounts(tom) if p["account"] is not None]  # default: new portals only
    changes = provisioning_plan_apply(staff=tom, acting_user=world.alice,
                                      selections=[(p["enrollment"], [f.code for f in p["functions"]])
                                                  for p in proposals])
    assert [t.kind for t in changes] == ["change", "change"]
    change = next(t for t in changes if t.portal_account.enrollment == noridian)
    task_complete(task=change, acting_user=world.alice, payer_confirmation="roles updated")
    acct = PortalAccount.objects.get(staff_member=tom, enrollment=noridian)
    assert set(acct.functions.values_list("code", flat=True)) == {"eligibility_benefits", "claim_status",
                                                                   "remittance_era"}


def test_the_edit_page_sends_a_mover_to_the_proposals(world, directory, client_for):
    from django.urls import reverse

    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    r = client_for(world.alice).post(reverse("staff_edit", args=["cascade", tom.pk]), {
        "full_name": "Tom Reed", "work_email": tom.work_email, "job_role": "coder", "employment_status": "active"})
    assert r.status_code == 302 and r["Location"] == reverse("provision_plan", args=["cascade", tom.pk])


def test_asking_again_for_other_functions_updates_the_open_task(world, directory):
    from access.services import provisioning_task_create

    _, availity, *_ = directory
    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    [task] = provisioning_plan_apply(staff=tom, acting_user=world.alice, selections=[(availity, ["claim_status"])])
    same = provisioning_task_create(account=task.portal_account, kind="provision", acting_user=world.alice,
                                    functions=["claim_status"])
    assert same.pk == task.pk and not AuditEvent.objects.filter(action="provisioning_task.updated").exists()
    provisioning_task_create(account=task.portal_account, kind="provision", acting_user=world.alice,
                             functions=["claim_status", "eligibility_benefits"])
    assert set(task.functions.values_list("code", flat=True)) == {"claim_status", "eligibility_benefits"}
    assert AuditEvent.objects.filter(action="provisioning_task.updated").count() == 1
