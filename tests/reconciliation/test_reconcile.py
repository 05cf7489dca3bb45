"""Reconciliation with a portal's own user list (issue 16): orphans, missing and mismatches found on
sample files, each resolution with its audit event, bad files refused with nothing changed."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from access.models import AccountStatus, PortalAccount, ProvisioningTask
from access.services import portal_account_create
from audits.models import AuditEvent
from carriers.models import PortalAccountRule
from findings.models import Finding
from reconciliation.models import Difference, UserListMapping, UserListUpload
from reconciliation.parsing import UserListError
from reconciliation.services import difference_resolve, mapping_save, user_list_compare

from ..staff.factories import make_enrollment, make_portal, make_staff

COLUMNS = {"user_id": "User ID", "full_name": "Name", "status": "Status", "last_login": "Last Login",
           "functions": "Roles"}
HEADER = "User ID,Name,Status,Last Login,Roles,Department\n"


@pytest.fixture
def setup(world):
    admin = make_staff(world.org, "Pat Primary", job_role="practice_manager")
    enrollment = make_enrollment(world.org, make_portal("Noridian Medicare Portal"), admin=admin)
    PortalAccountRule.objects.create(portal=enrollment.portal, kind=PortalAccountRule.Kind.INACTIVITY_LOCKOUT_DAYS,
                                     value="Disabled after 60 days", number=60, source="https://example.org",
                                     verification="verified")
    jenny = make_staff(world.org, "Jenny Lindqvist", job_role="billing_specialist")
    tom = make_staff(world.org, "Tom Reed")
    ana = make_staff(world.org, "Ana Ng", job_role="billing_specialist")
    today = timezone.localdate()

    def account(person, uid, functions=("eligibility_benefits", "claim_status")):
        return portal_account_create(staff_member=person, enrollment=enrollment, acting_user=world.alice,
                                     functions=list(functions), portal_user_id=uid, status="active",
                                     last_login_attested=today)

    accounts = {"jlindqvist": account(jenny, "jlindqvist"), "treed": account(tom, "treed"),
                "ang": account(ana, "ang", ("eligibility_benefits",))}
    mapping_save(enrollment=enrollment, columns=COLUMNS, headers=HEADER.strip().split(","), acting_user=world.alice)
    return {"enrollment": enrollment, "accounts": accounts, "today": today, "tom": tom, "jenny": jenny}


def _day(setup, days_ago):
    return (setup["today"] - datetime.timedelta(days=days_ago)).isoformat()


def sample(setup):
    """jlindqvist matches; treed is not listed (missing); ang has one more role on the portal and an old
    login; frontdesk2 is on the portal only (orphan); olduser is disabled and unknown (not a difference)."""
    return (HEADER
            + f"JLINDQVIST,\"Lindqvist, Jenny\",Active,{_day(setup, 3)},Eligibility & benefits; Claim status,Billing\n"
            + f"ang,Ana Ng,Active,{_day(setup, 75)},Eligibility & benefits;Claim status,Billing\n"
            + f"frontdesk2,Front Desk,Active,{_day(setup, 1)},Eligibility & benefits,Front\n"
            + "olduser,Old User,Disabled,,Eligibility & benefits,\n").encode()


def compare(world, setup, data=None, name="nmp-users.csv"):
    return user_list_compare(enrollment=setup["enrollment"], data=sample(setup) if data is None else data, filename=name,
                             acting_user=world.alice)


def test_orphans_missing_and_mismatches_are_found(world, setup):
    upload = compare(world, setup)
    diffs = {d.portal_user_id: d for d in Difference.objects.filter(enrollment=setup["enrollment"])}
    assert set(diffs) == {"frontdesk2", "treed", "ang"}
    assert diffs["frontdesk2"].kind == "orphan" and diffs["frontdesk2"].portal_account is None
    assert diffs["treed"].kind == "missing" and diffs["treed"].portal_account == setup["accounts"]["treed"]
    ang = diffs["ang"]
    assert ang.kind == "mismatch"
    fields = {d["field"]: d for d in ang.details}
    assert set(fields) == {"functions", "last_login"}
    assert fields["functions"]["portal"] == "eligibility_benefits, claim_status" or \
        set(fields["functions"]["portal"].split(", ")) == {"eligibility_benefits", "claim_status"}
    assert "60-day lock-out" in fields["last_login"]["portalgov"]
    assert upload.summary == {"orphan": 1, "missing": 1, "mismatch": 1, "new": 3, "cleared": 0,
                              "last_logins_updated": 2}
    # The holder name "Lindqvist, Jenny" is the same person; the user ID matches whatever its case.
    assert "jlindqvist" not in diffs


def test_attested_last_logins_update_from_the_list(world, setup):
    compare(world, setup)
    jenny = PortalAccount.objects.get(portal_user_id="jlindqvist")
    assert jenny.last_login_attested == setup["today"] - datetime.timedelta(days=3)


def test_upload_and_comparison_are_audit_events(world, setup):
    upload = compare(world, setup)
    uploaded = AuditEvent.objects.get(action="reconciliation.list_uploaded")
    compared = AuditEvent.objects.get(action="reconciliation.compared")
    assert uploaded.actor_id == world.alice.pk and uploaded.object_id == upload.pk
    assert compared.changes["orphan"] == [None, 1]
    assert AuditEvent.objects.filter(action="reconciliation.mapping_saved").count() == 1


def test_the_same_list_twice_finds_the_same_differences_and_a_fixed_one_clears(world, setup):
    compare(world, setup)
    compare(world, setup)
    assert Difference.objects.exclude(status="resolved").count() == 3
    fixed = sample(setup).replace(b"frontdesk2,Front Desk,Active", b"frontdesk2,Front Desk,Disabled")
    upload = compare(world, setup, fixed)
    orphan = Difference.objects.get(portal_user_id="frontdesk2")
    assert orphan.status == "resolved" and orphan.resolution == "cleared"
    assert upload.summary["cleared"] == 1


# --- resolutions, each audited ----------------------------------------------------------------------
def _diff(uid):
    return Difference.objects.get(portal_user_id=uid)


def test_link_an_orphan_to_a_person(world, setup):
    compare(world, setup)
    diff = difference_resolve(difference=_diff("frontdesk2"), resolution="linked", acting_user=world.alice,
                              staff_member=setup["tom"])
    account = PortalAccount.objects.get(portal_user_id="frontdesk2")
    assert account.staff_member == setup["tom"] and account.status == AccountStatus.ACTIVE
    assert sorted(account.functions.values_list("code", flat=True)) == ["eligibility_benefits"]
    assert diff.status == "resolved" and diff.portal_account == account
    assert AuditEvent.objects.filter(action="reconciliation.difference_linked", object_id=diff.pk).exists()
    # A desk login that exists on the portal is recorded as it is, and flagged.
    assert Finding.objects.filter(rule="generic_account_name", portal_account=account, resolved_at__isnull=True).exists()


def test_record_a_missing_account_as_deactivated_needs_the_portals_confirmation(world, setup):
    compare(world, setup)
    with pytest.raises(ValidationError):
        difference_resolve(difference=_diff("treed"), resolution="deactivated", acting_user=world.alice)
    assert PortalAccount.objects.get(portal_user_id="treed").status == AccountStatus.ACTIVE
    difference_resolve(difference=_diff("treed"), resolution="deactivated", acting_user=world.alice,
                       payer_confirmation="NMP user list 2026-12 shows no treed")
    account = PortalAccount.objects.get(portal_user_id="treed")
    assert account.status == AccountStatus.DEACTIVATED
    task = account.tasks.get(kind=ProvisioningTask.Kind.DEACTIVATE)
    assert task.status == "done" and task.payer_confirmation.startswith("NMP user list")
    assert AuditEvent.objects.filter(action="reconciliation.difference_deactivated").exists()


def test_open_a_task_for_a_mismatch(world, setup):
    compare(world, setup)
    difference_resolve(difference=_diff("ang"), resolution="task_opened", acting_user=world.alice)
    task = ProvisioningTask.objects.get(portal_account__portal_user_id="ang", status="open")
    assert task.kind == ProvisioningTask.Kind.DEACTIVATE  # its last login is past the lock-out rule
    assert AuditEvent.objects.filter(action="reconciliation.difference_task_opened").exists()


def test_raise_a_finding_then_it_resolves_when_a_later_list_no_longer_shows_it(world, setup):
    compare(world, setup)
    diff = difference_resolve(difference=_diff("frontdesk2"), resolution="finding_raised", acting_user=world.alice,
                              reason="Nobody knows who uses this login")
    assert diff.status == "escalated"
    finding = Finding.objects.get(rule="reconciliation_difference", resolved_at__isnull=True)
    assert "frontdesk2" in finding.title and finding.severity == "high"
    assert AuditEvent.objects.filter(action="reconciliation.difference_finding_raised").exists()
    compare(world, setup, sample(setup).replace(b"frontdesk2,Front Desk,Active", b"frontdesk2,Front Desk,Disabled"))
    finding.refresh_from_db()
    assert finding.resolved_at is not None


def test_accept_with_a_reason_and_it_stays_accepted(world, setup):
    compare(world, setup)
    with pytest.raises(ValidationError):
        difference_resolve(difference=_diff("ang"), resolution="accepted", acting_user=world.alice, reason="ok")
    difference_resolve(difference=_diff("ang"), resolution="accepted", acting_user=world.alice,
                       reason="Ana covers claim status during month-end; exception approved")
    compare(world, setup)
    assert Difference.objects.filter(portal_user_id="ang").count() == 1  # not reopened by the same list
    assert AuditEvent.objects.filter(action="reconciliation.difference_accepted").exists()


def test_an_action_that_does_not_fit_is_refused(world, setup):
    compare(world, setup)
    with pytest.raises(ValidationError):  # a missing account cannot be "linked"
        difference_resolve(difference=_diff("treed"), resolution="linked", acting_user=world.alice,
                           staff_member=setup["tom"])
    with pytest.raises(ValidationError):  # an orphan has no account to open a task on
        difference_resolve(difference=_diff("frontdesk2"), resolution="task_opened", acting_user=world.alice)


def test_an_unresolved_difference_older_than_the_limit_becomes_a_finding(world, setup, time_machine):
    from findings.services import findings_evaluate_organization

    compare(world, setup)
    assert not Finding.objects.filter(rule="reconciliation_unresolved").exists()
    time_machine.move_to(timezone.now() + datetime.timedelta(days=31))
    findings_evaluate_organization(organization=world.org)
    assert Finding.objects.filter(rule="reconciliation_unresolved", resolved_at__isnull=True).count() == 3


# --- bad files: a clear error before anything is compared, nothing changed -------------------------------
@pytest.mark.parametrize("data, message", [
    (HEADER.replace("Department", "Surprise") + "x,X,Active,,,\n", "unknown column(s): 'Surprise'"),
    (HEADER + "ang,A,Active,,,\nANG,B,Active,,,\n", "duplicate user ID ANG (also on line 2)"),
    (HEADER + "ang,Ana Ng,Active,2026-13-45,,\n", "last login: '2026-13-45' is not a date"),
    (HEADER + "ang,Ana Ng,Maybe,,,\n", "unknown status 'maybe'"),
    (HEADER + "ang,Ana Ng,Active,,Teleportation,\n", "unknown function(s) 'Teleportation'"),
    (b"", "The file is empty."),
])
def test_a_bad_file_is_refused_with_its_reason_and_changes_nothing(world, setup, data, message):
    data = data.encode() if isinstance(data, str) else data
    before = (AuditEvent.objects.count(), PortalAccount.objects.order_by("pk").values_list("last_login_attested"))
    before = (before[0], list(before[1]))
    with pytest.raises(UserListError) as exc:
        compare(world, setup, data)
    assert message in str(exc.value)
    assert not UserListUpload.objects.exists() and not Difference.objects.exists()
    assert AuditEvent.objects.count() == before[0]


def test_another_portals_user_list_is_refused(world, setup):
    other = make_enrollment(world.org, make_portal("Availity"))
    for uid in ("av.one", "av.two", "av.three"):
        portal_account_create(staff_member=make_staff(world.org), enrollment=other, acting_user=world.alice,
                              functions=["eligibility_benefits"], portal_user_id=uid, status="active")
    data = (HEADER + "".join(f"{u},Someone,Active,,,\n" for u in ("av.one", "av.two", "av.three"))).encode()
    with pytest.raises(UserListError, match="recorded on Availity"):
        compare(world, setup, data)
    assert not Difference.objects.exists()


def test_a_list_with_another_tin_is_refused(world, setup):
    mapping = UserListMapping.objects.get()
    mapping.columns = {**COLUMNS, "tin": "Department"}
    mapping.ignored = []
    mapping.save()
    with pytest.raises(UserListError, match="is not this enrollment's TIN"):
        compare(world, setup, (HEADER + "ang,Ana Ng,Active,,,98-7654321\n").encode())


def test_xlsx_lists_are_read_like_csv(world, setup):
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for line in sample(setup).decode().splitlines():
        import csv as _csv

        sheet.append(next(_csv.reader([line])))
    buf = io.BytesIO()
    book.save(buf)
    upload = compare(world, setup, buf.getvalue(), name="nmp-users.xlsx")
    assert (upload.summary["orphan"], upload.summary["missing"], upload.summary["mismatch"]) == (1, 1, 1)
