"""Importing existing portal accounts: all or nothing; clashes and desk logins become findings."""

import pytest
from django.core.management import CommandError, call_command

from access.models import PortalAccount
from findings.models import Finding

from ..staff.factories import make_enrollment, make_portal, make_staff

HEADER = "work_email,portal,portal_user_id,status,functions,password_reference,mfa_enrolled,last_login_attested\n"


@pytest.fixture
def roster(world):
    maria = make_staff(world.org, "Maria Admin", job_role="practice_manager", work_email="maria@cascade.example")
    make_enrollment(world.org, make_portal("Availity Essentials"), admin=maria)
    make_staff(world.org, "Jane Doe", work_email="jane@cascade.example")
    make_staff(world.org, "John Roe", work_email="john@cascade.example")


def test_existing_data_is_kept_and_its_problems_become_findings(world, roster, tmp_path, capsys):
    f = tmp_path / "accounts.csv"
    f.write_text(HEADER
                 + "jane@cascade.example,Availity Essentials,frontdesk1,active,eligibility_benefits;Claim status,,no,2026-11-01\n"
                 + "john@cascade.example,availity essentials,FrontDesk1,active,eligibility_benefits,op://x/y,yes,\n"
                 + "maria@cascade.example,Availity Essentials,malvarez,active,portal_user_administration,,yes,\n")
    call_command("import_portal_accounts", "--org", "cascade", str(f))
    assert "3 accounts recorded" in capsys.readouterr().out
    rules = sorted(Finding.objects.filter(resolved_at__isnull=True).values_list("rule", flat=True))
    assert rules == ["generic_account_name", "generic_account_name", "shared_credential"]
    call_command("import_portal_accounts", "--org", "cascade", str(f))
    assert "0 accounts recorded, 3 already recorded" in capsys.readouterr().out
    assert PortalAccount.objects.count() == 3


def test_a_bad_row_imports_nothing(world, roster, tmp_path, capsys):
    f = tmp_path / "accounts.csv"
    f.write_text(HEADER
                 + "jane@cascade.example,Availity Essentials,jdoe,active,eligibility_benefits,,no,\n"
                 + "ghost@cascade.example,Nowhere Portal,x1,sleeping,teleport,Hunter2!,maybe,31/31/2026\n")
    with pytest.raises(CommandError, match="Nothing imported: 1 problem"):
        call_command("import_portal_accounts", "--org", "cascade", str(f))
    err = capsys.readouterr().err
    for part in ("nobody on the roster", "is not one of the practice's enrollments", "unknown status 'sleeping'",
                 "unknown function 'teleport'", "never put a password here", "mfa_enrolled must be yes or no",
                 "last_login_attested"):
        assert part in err
    assert not PortalAccount.objects.exists()
