"""Issue 16: a desk or role name is never a staff member (every path), and the roster export
re-imports unchanged and opens safely in a spreadsheet."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import AuditEvent
from staff.models import StaffMember
from staff.roster_import import roster_import, roster_plan
from staff.services import staff_create, staff_update

GENERIC = ["Front Desk", "front  desk", "FRONT_DESK_2", "Billing", "billing team", "Admin", "OFFICE", " Reception "]
HEADER = "full_name,work_email,job_role,employment_status,start_date,end_date,manager_email\n"


@pytest.mark.parametrize("name", GENERIC)
def test_the_service_refuses_a_generic_name_and_creates_nothing(world, name):
    with pytest.raises(ValidationError) as exc:
        staff_create(organization=world.org, acting_user=world.alice, full_name=name,
                     work_email="desk@cascade.example", job_role="front_desk")
    assert "desk or role name" in str(exc.value) and "one person" in str(exc.value)
    assert not StaffMember.objects.exists()


def test_real_names_that_contain_a_role_word_are_fine(world):
    for i, name in enumerate(["Dana Front", "Billie Billing-Smith", "Office Ngata"]):
        staff_create(organization=world.org, acting_user=world.alice, full_name=name,
                     work_email=f"p{i}@cascade.example", job_role="coder")
    assert StaffMember.objects.count() == 3


def test_renaming_a_person_to_a_desk_name_is_refused(world):
    person = staff_create(organization=world.org, acting_user=world.alice, full_name="Tom Reed",
                          work_email="tom@cascade.example", job_role="front_desk")
    with pytest.raises(ValidationError):
        staff_update(staff=person, acting_user=world.alice, full_name="Front Desk")
    person.refresh_from_db()
    assert person.full_name == "Tom Reed"


def test_the_import_names_the_rule_on_the_row_and_imports_nothing(world):
    data = (HEADER + "Tom Reed,tom@cascade.example,front desk,active,,,\n"
            + "Front Desk,desk@cascade.example,front desk,active,,,\n").encode()
    plan = roster_plan(organization=world.org, data=data)
    assert plan.errors == [(3, "full_name 'Front Desk' is a desk or role name; a staff member is one person: "
                               "desk, team or role names are not accepted")]
    assert not StaffMember.objects.exists()


def test_the_staff_form_shows_the_rule_as_a_field_error(world, client_for):
    client = client_for(world.alice)
    response = client.post(f"/o/{world.org.slug}/staff/new/", {
        "full_name": "Billing", "work_email": "billing@cascade.example", "job_role": "billing_specialist",
        "employment_status": "active"})
    assert response.status_code == 200
    assert "desk or role name" in response.context["form"].errors["full_name"][0]
    assert not StaffMember.objects.exists()


TRICKY = (HEADER
          + "Maria Lopez,maria@cascade.example,Practice manager,active,2020-01-06,,\n"
          + '"=HYPERLINK(""http://evil.example"",""x"")",evil@cascade.example,coder,active,,,maria@cascade.example\n'
          + "\"O'Brien, Pat\",pat@cascade.example,billing_specialist,terminated,2021-02-01,2024-06-30,maria@cascade.example\n"
          + "+Plus Person,plus@cascade.example,front desk,on_leave,,,\n")


def test_the_roster_export_is_formula_safe_audited_and_reimports_unchanged(world, client_for):
    roster_import(organization=world.org, data=TRICKY.encode(), acting_user=world.alice)
    before = {s.work_email: (s.full_name, s.job_role, s.employment_status, s.start_date, s.end_date,
                             s.manager_id) for s in StaffMember.objects.all()}
    response = client_for(world.carol).get(f"/o/{world.org.slug}/staff/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["full_name", "work_email", "job_role", "employment_status", "start_date", "end_date",
                       "manager_email"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells
    event = AuditEvent.objects.get(action="staff.roster_exported")
    assert event.actor_id == world.carol.pk and event.organization_id == world.org.pk

    plan = roster_plan(organization=world.org, data=body)
    assert plan.ok and not plan.creates and not plan.updates and len(plan.unchanged) == 4
    roster_import(organization=world.org, data=body, acting_user=world.alice)
    after = {s.work_email: (s.full_name, s.job_role, s.employment_status, s.start_date, s.end_date,
                            s.manager_id) for s in StaffMember.objects.all()}
    assert after == before


def test_the_roster_export_query_count_does_not_grow_with_rows(world, client_for):
    client = client_for(world.alice)

    def count_for(n):
        StaffMember.objects.all().delete()
        boss = StaffMember.objects.create(organization=world.org, full_name="Boss Person", work_email="boss@c.example",
                                          job_role="practice_manager")
        StaffMember.objects.bulk_create(StaffMember(organization=world.org, full_name=f"Person {i}",
                                                    work_email=f"p{i}@c.example", job_role="coder", manager=boss)
                                        for i in range(n))
        with CaptureQueriesContext(connection) as ctx:
            body = b"".join(client.get(f"/o/{world.org.slug}/staff/export.csv").streaming_content)
        assert body.count(b"\n") == n + 2
        return len(ctx.captured_queries)

    count_for(1)  # warm caches (content types, session) so only per-row queries could differ
    assert count_for(5) == count_for(60)


def test_people_without_a_staff_role_cannot_export_the_roster(world, client_for):
    assert client_for(world.eve).get(f"/o/{world.org.slug}/staff/export.csv").status_code in (403, 404)
    assert client_for(world.oscar).get(f"/o/{world.org.slug}/staff/export.csv").status_code in (403, 404)
    assert not AuditEvent.objects.filter(action="staff.roster_exported").exists()
