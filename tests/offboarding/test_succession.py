"""A portal administrator leaves: a critical finding and a successor item come first, with the
accounts that depend on them; their own deactivation is held until a successor is recorded."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from access.models import AccountStatus, ProvisioningTask
from access.services import portal_account_transition, task_complete
from audits.models import AuditEvent
from findings.models import Finding
from offboarding.models import ChecklistItem
from offboarding.services import item_complete, leaver_record, successor_record
from staff.models import EmploymentStatus, EnrollmentAdministrator
from staff.services import enrollment_administrator_add


@pytest.fixture
def maria_leaves(world, practice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = leaver_record(staff=practice["maria"], acting_user=world.alice, reason=EmploymentStatus.TERMINATED)
    return case


def test_successor_items_come_first_with_a_critical_finding_and_the_dependent_accounts(world, practice, maria_leaves):
    items = list(maria_leaves.items.order_by("sort", "pk"))
    assert [i.kind for i in items[:2]] == ["successor", "successor"]
    mycgs = next(i for i in items if i.kind == "successor" and i.enrollment == practice["mycgs"])
    assert sorted(d["person"] for d in mycgs.dependents) == ["Paula Pay", "Tom Reed"]
    findings = Finding.objects.filter(rule="administrator_succession", resolved_at__isnull=True)
    assert findings.count() == 2 and {f.severity for f in findings} == {"critical"}
    f = findings.get(enrollment=practice["mycgs"])
    assert "2 account(s) depend" in f.detail and "Paula Pay" in f.detail and "held" in f.detail
    # No other administrator: the e-mail goes to the practice's PortalGov administrators.
    assert mail.outbox and "Appoint a successor FIRST" in mail.outbox[0].body


def test_the_administrators_own_deactivation_is_held_until_a_successor_is_recorded(world, practice, maria_leaves):
    held = ChecklistItem.objects.filter(case=maria_leaves, kind="deactivate")
    assert set(held.values_list("status", flat=True)) == {"held"}
    maria_accounts = practice["maria"].portal_accounts.all()
    item = held.get(enrollment=practice["mycgs"])
    # The task stays in the administrators' queue, but nobody can complete it: not from the checklist,
    # not from the task queue, not by moving the account to deactivated by hand.
    task = ProvisioningTask.objects.get(portal_account__in=maria_accounts, status="open",
                                        portal_account__enrollment=practice["mycgs"])
    with pytest.raises(ValidationError, match="successor"):
        item_complete(item=item, acting_user=world.alice, confirmation="done anyway")
    with pytest.raises(ValidationError, match="Maria Admin administers myCGS and has left"):
        task_complete(task=task, acting_user=world.alice, payer_confirmation="done anyway")
    with pytest.raises(ValidationError, match="held"):
        portal_account_transition(account=maria_accounts.get(enrollment=practice["mycgs"]),
                                  to_status=AccountStatus.DEACTIVATED, acting_user=world.alice)
    assert maria_accounts.get(enrollment=practice["mycgs"]).status == AccountStatus.DEACTIVATION_PENDING
    assert ProvisioningTask.objects.get(pk=task.pk).status == "open"

    succ = ChecklistItem.objects.get(case=maria_leaves, kind="successor", enrollment=practice["mycgs"])
    with pytest.raises(ValidationError):
        successor_record(item=succ, successor=practice["maria"], acting_user=world.alice)
    successor_record(item=succ, successor=practice["ken"], acting_user=world.alice)
    succ.refresh_from_db()
    assert succ.status == "done" and succ.confirmation == "Ken Next"
    item.refresh_from_db()
    assert item.status == "open" and item.task_id == task.pk and item.task.status == "open"
    # Availity still has no successor: still held, and its critical finding stays open.
    assert held.get(enrollment=practice["availity"]).status == "held"
    assert list(Finding.objects.filter(rule="administrator_succession", resolved_at__isnull=True)
                .values_list("enrollment", flat=True)) == [practice["availity"].pk]
    item_complete(item=item, acting_user=world.alice, confirmation="CGS-77")
    assert maria_accounts.get(enrollment=practice["mycgs"]).status == AccountStatus.DEACTIVATED
    assert AuditEvent.objects.filter(action="offboarding.deactivation_released").count() == 1


def test_a_successor_added_on_the_staff_pages_also_releases_the_hold(world, practice, maria_leaves):
    enrollment_administrator_add(enrollment=practice["availity"], staff_member=practice["ken"],
                                 role=EnrollmentAdministrator.AdminRole.PRIMARY, acting_user=world.alice)
    item = ChecklistItem.objects.get(case=maria_leaves, kind="deactivate", enrollment=practice["availity"])
    assert item.status == "open" and item.task.status == "open"


def test_a_backup_is_not_a_successor_to_a_primary(world, practice, maria_leaves):
    enrollment_administrator_add(enrollment=practice["availity"], staff_member=practice["ken"],
                                 role=EnrollmentAdministrator.AdminRole.BACKUP, acting_user=world.alice)
    assert ChecklistItem.objects.get(case=maria_leaves, kind="successor",
                                     enrollment=practice["availity"]).status == "open"


def test_after_every_successor_and_deactivation_no_finding_is_left(world, practice, maria_leaves):
    for enr in (practice["mycgs"], practice["availity"]):
        succ = ChecklistItem.objects.get(case=maria_leaves, kind="successor", enrollment=enr)
        successor_record(item=succ, successor=practice["ken"], acting_user=world.alice)
    for item in ChecklistItem.objects.filter(case=maria_leaves, kind="deactivate"):
        item_complete(item=item, acting_user=world.alice, confirmation=f"conf {item.pk}")
    maria_leaves.refresh_from_db()
    assert maria_leaves.completed_at is not None
    assert not Finding.objects.filter(organization=world.org, resolved_at__isnull=True).exists()
