"""Bad input found in review: each is refused with a clear message, never a 500, and changes nothing."""

import pytest

from audits.selectors import FilterError, build_filter
from staff.models import StaffMember
from staff.roster_import import roster_plan


def test_an_until_date_at_the_end_of_the_calendar_is_a_clear_error(world, client_for):
    with pytest.raises(FilterError, match="out of range"):
        build_filter(until="9999-12-31")
    response = client_for(world.carol).get(f"/o/{world.org.slug}/audit/?until=9999-12-31")
    assert response.status_code in (200, 400)
    assert "out of range" in response.content.decode()
    # The API's schema declares until a date: the last day of the calendar is one, so it means "no end" there.
    assert client_for(world.carol).get(f"/api/v1/o/{world.org.slug}/audit-events/?until=9999-12-31").status_code == 200


def test_a_roster_row_longer_than_the_roster_allows_is_reported_in_the_preview(world):
    data = ("full_name,work_email,job_role\n" + "A" * 250 + ",a@x.example,front_desk\n").encode()
    plan = roster_plan(organization=world.org, data=data)
    assert plan.errors and plan.errors[0][0] == 2 and "longer than" in plan.errors[0][1]
    assert not StaffMember.objects.exists()


def test_a_failed_audit_verification_cannot_be_silenced(world):
    from django.core.exceptions import ValidationError

    from findings.services import finding_silence, raise_system_finding

    finding = raise_system_finding(rule="audit_log_verification_failed", severity="critical",
                                   organization=world.org, message="Audit log verification failed")[0]
    with pytest.raises(ValidationError, match="cannot be silenced"):
        finding_silence(finding=finding, acting_user=world.alice, reason="looks fine to me, really")
    finding.refresh_from_db()
    assert finding.silenced_at is None


def test_a_leavers_account_is_deactivated_through_its_task_with_the_portals_confirmation(world):
    from django.core.exceptions import ValidationError

    from access.models import AccountStatus, ProvisioningTask
    from access.services import portal_account_create, portal_account_transition, task_complete
    from staff.models import JobRole
    from staff.services import staff_terminate
    from tests.staff.factories import make_enrollment, make_portal, make_staff

    admin = make_staff(world.org, "Pat Admin", job_role=JobRole.PRACTICE_MANAGER)
    enrollment = make_enrollment(world.org, make_portal("Availity Essentials", ["eligibility_benefits"]), admin=admin)
    sam = make_staff(world.org, "Sam Leaver")
    account = portal_account_create(staff_member=sam, enrollment=enrollment, acting_user=world.alice,
                                    portal_user_id="sleaver1", status=AccountStatus.ACTIVE,
                                    functions=["eligibility_benefits"])
    staff_terminate(staff=sam, acting_user=world.alice)
    task = ProvisioningTask.objects.get(portal_account=account, kind="deactivate", status="open")

    with pytest.raises(ValidationError, match="deactivation task"):
        portal_account_transition(account=account, to_status=AccountStatus.DEACTIVATED, acting_user=world.alice)
    account.refresh_from_db()
    assert account.status == AccountStatus.DEACTIVATION_PENDING

    task_complete(task=task, acting_user=world.alice, payer_confirmation="Availity ticket 88231")
    account.refresh_from_db()
    assert account.status == AccountStatus.DEACTIVATED
    assert ProvisioningTask.objects.get(pk=task.pk).payer_confirmation == "Availity ticket 88231"


def test_csv_exports_neutralise_formulas_in_every_cell_including_headers():
    import io

    from core.csvsafe import safe_csv_writer

    buf = io.StringIO()
    safe_csv_writer(buf).writerow(['=HYPERLINK("http://x","y")', "+1", "-2", "@a", "plain", 3, None])
    assert buf.getvalue().strip() == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1,'-2,'@a,plain,3,"
