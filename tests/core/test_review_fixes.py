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
    assert client_for(world.carol).get(f"/api/v1/o/{world.org.slug}/audit-events/?until=9999-12-31").status_code == 400


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
