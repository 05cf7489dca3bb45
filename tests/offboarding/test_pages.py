"""Offboarding pages: who sees and does what, the one-hour clock on the checklist, refusals with
nothing changed, other organizations' ids, flat query counts."""

import datetime

import pytest
from django.urls import reverse

from audits.models import AuditEvent
from offboarding.models import ChecklistItem, OffboardingCase, OffboardingSettings
from offboarding.services import leaver_record
from staff.models import EmploymentStatus

from ..staff.factories import make_enrollment, make_portal, make_staff


def url(name, *args, org="cascade"):
    return reverse(name, args=[org, *args])


@pytest.fixture
def tom_left(world, practice):
    return leaver_record(staff=practice["tom"], acting_user=world.alice, reason=EmploymentStatus.TERMINATED)


def test_the_checklist_shows_every_portal_and_the_one_hour_clock(world, practice, tom_left, client_for, clock):
    client = client_for(world.carol)  # an auditor reads it as evidence
    clock.shift(datetime.timedelta(minutes=20))
    page = client.get(url("offboarding_case", tom_left.pk)).content.decode()
    assert "Offboarding checklist: Tom Reed" in page
    assert "40 min left" in page and "2026-11-27 11:00" in page
    assert page.count("Deactivate portal account") == 2 and "treed-cgs" in page
    assert "Record as done" not in page  # read-only for auditors
    clock.shift(datetime.timedelta(minutes=70))
    page = client_for(world.alice).get(url("offboarding_case", tom_left.pk)).content.decode()
    assert "Overdue by 30 min" in page and "Record as done" in page


def test_recording_an_item_done_from_the_checklist(world, practice, tom_left, client_for):
    client = client_for(world.alice)
    item = tom_left.items.first()
    response = client.post(url("offboarding_item_complete", item.pk), {"confirmation": ""})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "open"  # refused: no confirmation, nothing changed
    client.post(url("offboarding_item_complete", item.pk), {"confirmation": "Availity #5512"})
    item.refresh_from_db()
    assert item.status == "done" and item.confirmation == "Availity #5512" and item.done_by_label == world.alice.email
    page = client.get(url("offboarding_case", tom_left.pk)).content.decode()
    assert "Availity #5512" in page and "1 of 2 done" in page


@pytest.mark.parametrize("who,status", [("bob", 403), ("carol", 403), ("dave", 403), ("oscar", 403), ("eve", 403)])
def test_only_account_managers_complete_items(world, practice, tom_left, client_for, who, status):
    item = tom_left.items.first()
    response = client_for(getattr(world, who)).post(url("offboarding_item_complete", item.pk), {"confirmation": "x"})
    assert response.status_code == status
    item.refresh_from_db()
    assert item.status == "open"


def test_another_organizations_checklist_is_404(world, practice, tom_left, client_for):
    client = client_for(world.oscar)
    assert client.get(url("offboarding_case", tom_left.pk, org="other")).status_code == 404
    item = tom_left.items.first()
    assert client.post(url("offboarding_item_complete", item.pk, org="other"),
                       {"confirmation": "x"}).status_code == 404


def test_recording_a_leaver_and_a_successor_through_the_pages(world, practice, client_for):
    client = client_for(world.alice)
    assert client.post(url("offboarding_leaver_new"), {"staff_member": "", "reason": "terminated"}).status_code == 200
    assert not OffboardingCase.objects.exists()
    response = client.post(url("offboarding_leaver_new"), {"staff_member": practice["maria"].pk,
                                                             "reason": "terminated"})
    case = OffboardingCase.objects.get(staff_member=practice["maria"])
    assert response.status_code == 302 and response["Location"] == url("offboarding_case", case.pk)
    page = client.get(response["Location"]).content.decode()
    assert "Appoint a successor first" in page and "Held: successor first" in page and "Paula Pay" in page
    succ = case.items.filter(kind="successor").first()
    client.post(url("offboarding_successor", succ.pk), {"successor": practice["maria"].pk})  # not a candidate
    succ.refresh_from_db()
    assert succ.status == "open"
    client.post(url("offboarding_successor", succ.pk), {"successor": practice["ken"].pk})
    succ.refresh_from_db()
    assert succ.status == "done"
    assert client_for(world.bob).post(url("offboarding_successor", succ.pk), {}).status_code == 403


def test_settings_are_for_administrators_and_audited(world, client_for):
    client = client_for(world.alice)
    assert client.post(url("offboarding_settings"), {"deadline_minutes": "1", "reminder_days": "7"}).status_code == 200
    assert not OffboardingSettings.objects.exists()
    assert client.post(url("offboarding_settings"), {"deadline_minutes": "120",
                                                     "reminder_days": "7, 1, x"}).status_code == 200
    assert client.post(url("offboarding_settings"), {"deadline_minutes": "120",
                                                     "reminder_days": "7, 1"}).status_code == 302
    row = OffboardingSettings.objects.get()
    assert row.deadline_minutes == 120 and row.reminder_days == [7, 1]
    assert AuditEvent.objects.filter(action="offboarding.settings_changed", actor_label=world.alice.email).exists()
    assert client_for(world.bob).get(url("offboarding_settings")).status_code == 403


def test_recertification_dates_page(world, practice, client_for):
    client = client_for(world.alice)
    response = client.post(url("offboarding_recertifications"), {"enrollment": practice["mycgs"].pk})
    assert response.status_code == 200 and "Give the due date" in response.content.decode()
    response = client.post(url("offboarding_recertifications"), {"enrollment": practice["mycgs"].pk,
                                                                 "due_on": "2027-01-31"})
    assert response.status_code == 302
    assert "2027-01-31" in client_for(world.carol).get(url("offboarding_recertifications")).content.decode()
    assert client_for(world.carol).post(url("offboarding_recertifications"),
                                        {"enrollment": practice["mycgs"].pk, "due_on": "2027-02-01"}).status_code == 403


@pytest.mark.parametrize("name", ["offboarding_cases", "offboarding_case", "offboarding_recertifications"])
def test_pages_take_the_same_number_of_queries_as_leavers_grow(world, practice, client_for, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = make_staff(world.org, "Second Admin")
    enr = make_enrollment(world.org, make_portal("Growth Portal"), admin=admin)

    def grow(n):
        from access.services import portal_account_create
        from offboarding.services import recertification_record

        for i in range(n):
            s = make_staff(world.org, f"Leaver {i} {OffboardingCase.objects.count()}")
            acct = portal_account_create(staff_member=s, enrollment=enr, acting_user=world.alice, status="active",
                                         portal_user_id=f"lv{s.pk}", functions=["eligibility_benefits"])
            acct2 = portal_account_create(staff_member=s, enrollment=practice["mycgs"], acting_user=world.alice,
                                          status="active", portal_user_id=f"lvc{s.pk}",
                                          functions=["eligibility_benefits"])
            recertification_record(organization=world.org, enrollment=enr, portal_account=acct,
                                   acting_user=world.alice, due_on=datetime.date(2027, 1, 1))
            leaver_record(staff=s, acting_user=world.alice, reason=EmploymentStatus.TERMINATED)
            assert acct2

    client = client_for(world.alice)
    grow(2)
    case = OffboardingCase.objects.first()
    target = url(name, case.pk) if name == "offboarding_case" else url(name) + "?state=all"
    client.get(target)
    with CaptureQueriesContext(connection) as small:
        assert client.get(target).status_code == 200
    grow(4)
    if name == "offboarding_case":
        for i in range(6):  # more items on the same checklist
            ChecklistItem.objects.create(case=case, organization=world.org, key=f"extra:{i}", kind="rotate",
                                         due_at=case.due_at)
    with CaptureQueriesContext(connection) as large:
        assert client.get(target).status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(large) <= 20


def test_the_dashboard_counts_open_checklists_and_the_nav_links_them(world, practice, tom_left, client_for, clock):
    page = client_for(world.alice).get(reverse("dashboard", args=["cascade"])).content.decode()
    assert "Leavers being offboarded" in page and url("offboarding_cases") in page
    OffboardingCase.objects.filter(pk=tom_left.pk).update(due_at=tom_left.recorded_at - datetime.timedelta(minutes=1))
    page = client_for(world.alice).get(reverse("dashboard", args=["cascade"])).content.decode()
    assert "(1 overdue)" in page
    assert url("offboarding_cases") not in client_for(world.dave).get(reverse("dashboard", args=["cascade"])).content.decode()


def test_the_roster_pages_leaver_button_opens_the_checklist_at_once(world, practice, client_for):
    response = client_for(world.alice).post(reverse("staff_leaver", args=["cascade", practice["tom"].pk]), {"confirm": "yes"})
    assert response.status_code == 302
    case = OffboardingCase.objects.get(staff_member=practice["tom"])
    assert case.items.count() == 2 and case.recorded_by_label == world.alice.email
