"""Roster import: all or nothing, row-level errors, re-import updates by work e-mail."""

import pytest
from django.core.management import CommandError, call_command

from audits.models import AuditEvent
from staff.models import EmploymentStatus, StaffMember
from staff.roster_import import RosterImportError, roster_import, roster_plan

HEADER = "full_name,work_email,job_role,employment_status,start_date,end_date,manager_email\n"
GOOD = (HEADER
        + "Maria Lopez,maria@cascade.example,Practice manager,active,2020-01-06,,\n"
        + "Tom Reed,tom@cascade.example,front desk,active,03/01/2024,,maria@cascade.example\n"
        + "Ana Ng,ana@cascade.example,billing_specialist,,2022-05-01,,maria@cascade.example\n")


def test_a_good_file_imports_everyone_with_managers(world):
    plan = roster_import(organization=world.org, data=GOOD.encode(), acting_user=world.alice)
    assert len(plan.creates) == 3
    tom = StaffMember.objects.get(organization=world.org, work_email="tom@cascade.example")
    assert tom.job_role == "front_desk" and tom.manager.full_name == "Maria Lopez"
    assert str(tom.start_date) == "2024-03-01"
    assert AuditEvent.objects.filter(organization_id=world.org.pk, action="staff.roster_imported").count() == 1


def test_reimporting_updates_by_email_without_duplicates(world):
    roster_import(organization=world.org, data=GOOD.encode(), acting_user=world.alice)
    changed = GOOD.replace("Tom Reed,tom@cascade.example,front desk", "Tom Reed,TOM@cascade.example,coder")
    plan = roster_import(organization=world.org, data=changed.encode(), acting_user=world.alice)
    assert (len(plan.creates), len(plan.updates), len(plan.unchanged)) == (0, 1, 2)
    assert StaffMember.objects.filter(organization=world.org).count() == 3
    assert StaffMember.objects.get(work_email="tom@cascade.example").job_role == "coder"
    again = roster_import(organization=world.org, data=changed.encode(), acting_user=world.alice)
    assert (len(again.creates), len(again.updates)) == (0, 0)


def test_a_mixed_file_reports_every_bad_row_and_imports_nothing(world):
    data = (HEADER
            + "Good Person,good@cascade.example,coder,active,2024-01-01,,\n"
            + "Bad Date,bad.date@cascade.example,coder,active,2024-13-45,,\n"
            + "Dup One,dup@cascade.example,coder,active,,,\n"
            + "Dup Two,dup@cascade.example,coder,active,,,\n"
            + "No Role,norole@cascade.example,astronaut,active,,,\n"
            + ",noname@cascade.example,coder,sabbatical,,,\n"
            + "Backwards,back@cascade.example,coder,active,2024-05-01,2024-01-01,\n"
            + "Not Email,not-an-email,coder,active,,,\n")
    with pytest.raises(RosterImportError) as exc:
        roster_import(organization=world.org, data=data.encode(), acting_user=world.alice)
    errors = dict(exc.value.errors)
    assert "start_date" in errors[3] and "2024-13-45" in errors[3]
    assert "duplicate work e-mail dup@cascade.example (also on line 4)" in errors[5]
    assert "unknown job role 'astronaut'" in errors[6]
    assert "full_name is empty" in errors[7] and "sabbatical" in errors[7]
    assert "end_date is before start_date" in errors[8]
    assert "not an e-mail address" in errors[9]
    assert 2 not in errors
    assert not StaffMember.objects.filter(organization=world.org).exists()
    assert not AuditEvent.objects.filter(organization_id=world.org.pk, action__startswith="staff.").exists()


def test_a_wrong_header_is_refused(world):
    plan = roster_plan(organization=world.org, data=b"name,email,role\nA,a@x.example,coder\n")
    assert plan.errors[0][0] == 1
    assert "missing column(s): full_name, work_email, job_role" in plan.errors[0][1]


def test_a_bad_encoding_is_refused_with_its_line(world):
    data = (HEADER + "Jos\xe9 Diaz,jose@cascade.example,coder,active,,,\n").encode("latin-1")
    plan = roster_plan(organization=world.org, data=data)
    assert plan.errors == [(2, "The file is not UTF-8 text (save it as 'CSV UTF-8' and try again).")]


def test_an_unknown_manager_is_a_row_error(world):
    data = HEADER + "Tom Reed,tom@cascade.example,coder,active,,,ghost@cascade.example\n"
    plan = roster_plan(organization=world.org, data=data.encode())
    assert plan.errors == [(2, "manager ghost@cascade.example is neither in the file nor on the roster")]


def test_importing_a_termination_flags_the_person(world):
    roster_import(organization=world.org, data=GOOD.encode(), acting_user=world.alice)
    leaver = GOOD.replace("Ana Ng,ana@cascade.example,billing_specialist,,2022-05-01,,",
                          "Ana Ng,ana@cascade.example,billing_specialist,terminated,2022-05-01,2026-11-20,")
    roster_import(organization=world.org, data=leaver.encode(), acting_user=world.alice)
    ana = StaffMember.objects.get(work_email="ana@cascade.example")
    assert ana.employment_status == EmploymentStatus.TERMINATED


def test_the_command_imports_and_reports(world, tmp_path, capsys):
    f = tmp_path / "roster.csv"
    f.write_text(GOOD)
    call_command("import_roster", "--org", "cascade", str(f))
    assert "3 added, 0 updated, 0 unchanged" in capsys.readouterr().out
    event = AuditEvent.objects.filter(action="staff.roster_imported").first()
    assert event.actor_label == "job:import_roster"


def test_the_command_fails_with_row_errors_and_imports_nothing(world, tmp_path, capsys):
    f = tmp_path / "roster.csv"
    f.write_text(HEADER + "A B,ab@cascade.example,coder,active,yesterday,,\n")
    with pytest.raises(CommandError, match="Nothing imported: 1 problem"):
        call_command("import_roster", "--org", "cascade", str(f))
    assert "line 2: start_date: 'yesterday' is not a date" in capsys.readouterr().err
    assert not StaffMember.objects.exists()


def test_the_command_refuses_an_unknown_organization(world, tmp_path):
    f = tmp_path / "roster.csv"
    f.write_text(GOOD)
    with pytest.raises(CommandError, match="No organization"):
        call_command("import_roster", "--org", "nope", str(f))
