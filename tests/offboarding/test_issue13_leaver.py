"""Issue 13: "Record as leaver" shows what will happen and asks to confirm; recording a leaver raises no
critical finding while the one-hour clock still runs; the findings come when the deadline passes."""

import datetime

from django.urls import reverse

from audits.models import AuditEvent
from findings.models import Finding
from offboarding.jobs import escalate_overdue
from offboarding.models import OffboardingCase
from staff.models import StaffMember


def leaver_findings(org):
    return list(Finding.objects.filter(organization=org, rule="leaver_with_account", resolved_at__isnull=True)
                .values_list("severity", flat=True))


def test_record_as_leaver_shows_what_will_happen_and_changes_nothing_until_confirmed(world, practice, client_for):
    tom = practice["tom"]
    client = client_for(world.alice)
    detail = client.get(reverse("staff_detail", args=["cascade", tom.pk])).content.decode()
    assert reverse("staff_leaver", args=["cascade", tom.pk]) in detail and "Record as leaver…" in detail
    page = client.get(reverse("staff_leaver", args=["cascade", tom.pk])).content.decode()
    assert "Record Tom Reed as a leaver?" in page
    assert "2 portal accounts move to deactivation pending" in page
    assert "deadline of 60 minutes" in page and "critical finding" in page
    # A POST without the confirmation (an old form, a double click) records nothing.
    response = client.post(reverse("staff_leaver", args=["cascade", tom.pk]))
    assert response.status_code == 200 and "Nothing was recorded" in response.content.decode()
    assert StaffMember.objects.get(pk=tom.pk).employment_status == "active"
    assert not OffboardingCase.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="offboarding.").exists()
    response = client.post(reverse("staff_leaver", args=["cascade", tom.pk]), {"confirm": "yes"})
    assert response.status_code == 302
    assert StaffMember.objects.get(pk=tom.pk).employment_status == "terminated"
    assert OffboardingCase.objects.filter(staff_member=tom).count() == 1


def test_the_leaver_findings_wait_for_the_deadline(world, practice, clock, client_for):
    tom = practice["tom"]
    client_for(world.alice).post(reverse("staff_leaver", args=["cascade", tom.pk]), {"confirm": "yes"})
    assert leaver_findings(world.org) == []  # 59 minutes left: work on the clock, not a finding
    clock.shift(datetime.timedelta(minutes=59))
    escalate_overdue(organization=world.org)
    assert leaver_findings(world.org) == []
    clock.shift(datetime.timedelta(minutes=2))  # the deadline passed with both accounts open
    escalate_overdue(organization=world.org)
    assert leaver_findings(world.org) == ["critical", "critical"]
    assert AuditEvent.objects.filter(action="offboarding.escalated").count() == 1
