"""Pages: who may see and do what (invariant 8), the wizard through the web, query counts flat as
staff grow, CSV export, my portal accounts."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AccountStatus, PortalAccount, ProvisioningTask
from access.services import portal_account_create, provisioning_task_create
from findings.services import findings_evaluate_organization
from staff.models import JobRole, StaffMember

from ..staff.factories import make_enrollment, make_portal, make_staff


@pytest.fixture
def setup(world):
    maria = make_staff(world.org, "Maria Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    availity = make_enrollment(world.org, make_portal("Availity Essentials"), admin=maria)
    dave = make_staff(world.org, "Dave Staff", user=world.dave)
    acct = portal_account_create(staff_member=dave, enrollment=availity, acting_user=world.alice,
                                 portal_user_id="dstaff1", status=AccountStatus.ACTIVE,
                                 functions=["eligibility_benefits"])
    other_admin = make_staff(world.other_org, "Olga Other")
    other_enr = make_enrollment(world.other_org, admin=other_admin)
    other_acct = portal_account_create(staff_member=other_admin, enrollment=other_enr, acting_user=world.oscar,
                                       portal_user_id="oother", status=AccountStatus.ACTIVE)
    return maria, availity, dave, acct, other_admin, other_acct


def url(name, *args, slug="cascade"):
    return reverse(name, args=[slug, *args])


READ_PAGES = [("roster", ()), ("matrix", ()), ("access_policy", ()), ("findings", ())]


@pytest.mark.parametrize("role,expected", [("administrator", 200), ("billing_manager", 200), ("auditor", 200),
                                           ("staff", 403), ("other_org_administrator", 403), ("no_role", 403)])
def test_read_pages_by_role(world, setup, client_for, role, expected):
    client = client_for(world.by_role()[role])
    for name, args in READ_PAGES:
        assert client.get(url(name, *args)).status_code == expected, name


@pytest.mark.parametrize("role,expected", [("administrator", 200), ("billing_manager", 403), ("auditor", 403),
                                           ("staff", 403)])
def test_manage_pages_by_role(world, setup, client_for, role, expected):
    client = client_for(world.by_role()[role])
    for name in ("staff_new", "roster_upload", "provision_start"):
        assert client.get(url(name)).status_code == expected, name


def test_nobody_reaches_another_organizations_rows_by_id(world, setup, client_for):
    _, _, dave, acct, other_admin, other_acct = setup
    client = client_for(world.alice)
    assert client.get(url("staff_detail", other_admin.pk)).status_code == 404
    assert client.get(url("account_detail", other_acct.pk)).status_code == 404
    assert client.get(url("provision_plan", other_admin.pk)).status_code == 404
    assert client.post(url("staff_leaver", other_admin.pk)).status_code == 404
    other_admin.refresh_from_db()
    assert other_admin.employment_status == "active"
    # and through the other organization's address, without a role there
    assert client.get(url("staff_detail", other_admin.pk, slug="other")).status_code == 403
    csv_text = b"".join(client.get(url("matrix") + "?format=csv").streaming_content).decode()  # streamed
    assert "Olga Other" not in csv_text and "oother" not in csv_text


def test_read_only_roles_cannot_change_anything(world, setup, client_for):
    _, _, dave, acct, *_ = setup
    client = client_for(world.bob)
    assert client.post(url("account_detail", acct.pk), {"form": "transition", "to_status": "suspended"}).status_code == 403
    assert client.post(url("access_policy"), {"job_role": "front_desk", "functions": []}).status_code == 403
    assert client.post(url("staff_leaver", dave.pk)).status_code == 403
    acct.refresh_from_db()
    assert acct.status == "active"


def test_staff_see_only_their_own_accounts(world, setup, client_for):
    client = client_for(world.dave)
    page = client.get(url("my_accounts"))
    assert page.status_code == 200
    assert b"dstaff1" in page.content and b"Maria" not in page.content
    assert client.get(url("account_detail", setup[3].pk)).status_code == 403


def test_a_login_without_a_roster_link_is_told_so(world, setup, client_for):
    page = client_for(world.carol).get(url("my_accounts"))
    assert b"not linked" in page.content


def test_the_wizard_provisions_a_new_hire_through_the_web(world, setup, client_for):
    maria, availity, *_ = setup
    client = client_for(world.alice)
    response = client.post(url("provision_start"), {"full_name": "Tom Reed", "work_email": "tom@cascade.example",
                                                    "job_role": "front_desk", "start_date": "2026-12-01"})
    tom = StaffMember.objects.get(work_email="tom@cascade.example")
    assert response.status_code == 302 and response["Location"] == url("provision_plan", tom.pk)
    page = client.get(url("provision_plan", tom.pk))
    assert b"Availity Essentials" in page.content and b"Remittance" in page.content  # beyond policy, shown not offered
    response = client.post(url("provision_plan", tom.pk), {f"enrollment_{availity.pk}": "1",
                                                           f"functions_{availity.pk}": ["eligibility_benefits"]})
    assert response.status_code == 302
    task = ProvisioningTask.objects.get(portal_account__staff_member=tom)
    assert task.assignee == maria
    queue = client.get(url("tasks"))
    assert b"Tom Reed" in queue.content and f'<a href="{url("task_complete", task.pk)}">Record as done</a>'.encode() in queue.content
    bad = client.post(url("task_complete", task.pk), {"portal_user_id": "Front Desk", "payer_confirmation": "x1"})
    assert bad.status_code == 200 and b"generic account name" in bad.content
    done = client.post(url("task_complete", task.pk), {"portal_user_id": "treed", "payer_confirmation": "AV-1234",
                                                       "password_reference": "op://Front desk/Tom Reed"})
    assert done.status_code == 302
    account = PortalAccount.objects.get(staff_member=tom)
    assert account.status == "active" and account.portal_user_id == "treed"
    # The rows (built in access.views._task_rows): kind, person, portal, functions, administrator, status.
    done_row = client.get(url("tasks"), {"assignee": "all", "status": "done"}).content.decode()
    assert (f'<td>Create account</td>\n    <td><a href="{url("staff_detail", tom.pk)}">Tom Reed</a></td>\n'
            f"    <td>Availity Essentials</td>\n    <td>Eligibility &amp; benefits</td>\n"
            f"    <td>{maria.full_name}</td>") in done_row
    assert "<td>Done: AV-1234</td>" in done_row and "Record as done" not in done_row


def test_beyond_policy_posted_to_the_wizard_is_refused_with_a_message(world, setup, client_for):
    _, availity, *_ = setup
    tom = make_staff(world.org, "Tom Reed")
    client = client_for(world.alice)
    page = client.post(url("provision_plan", tom.pk), {f"enrollment_{availity.pk}": "1",
                                                       f"functions_{availity.pk}": ["remittance_era"]})
    assert page.status_code == 200 and b"beyond the front desk policy" in page.content
    assert not PortalAccount.objects.filter(staff_member=tom).exists()


def test_an_invalid_transition_gets_a_clear_error_on_the_page(world, setup, client_for):
    acct = setup[3]
    page = client_for(world.alice).post(url("account_detail", acct.pk), {"form": "transition", "to_status": "deactivated"})
    assert page.status_code == 200 and b"Select a valid choice" in page.content
    acct.refresh_from_db()
    assert acct.status == "active"


def test_a_portal_administrator_with_the_staff_role_works_only_their_own_queue(world, setup, client_for):
    maria, availity, dave, *_ = setup
    # dave administers a second enrollment; maria's tasks stay hidden from him
    enr2 = make_enrollment(world.org, admin=dave)
    tom = make_staff(world.org, "Tom Reed")
    from access.services import provisioning_plan_apply

    tasks = provisioning_plan_apply(staff=tom, acting_user=world.alice,
                                    selections=[(availity, ["claim_status"]), (enr2, ["claim_status"])])
    mine, marias = [t for t in tasks if t.assignee == dave], [t for t in tasks if t.assignee == maria]
    client = client_for(world.dave)
    assert b"1 open task in your queue" in client.get(url("my_accounts")).content
    assert client.get(url("tasks")).status_code == 200
    assert client.get(url("task_complete", marias[0].pk)).status_code == 403
    assert client.post(url("task_complete", mine[0].pk), {"portal_user_id": "treed2",
                                                          "payer_confirmation": "ok"}).status_code == 302


# --- query counts stay flat as staff grow --------------------------------------------------------

def _grow(world, availity, n):
    for i in range(n):
        s = make_staff(world.org, f"Grow {i} {StaffMember.objects.count()}", job_role=JobRole.FRONT_DESK)
        acct = portal_account_create(staff_member=s, enrollment=availity, acting_user=world.alice,
                                     portal_user_id=f"g{StaffMember.objects.count()}x", status=AccountStatus.ACTIVE,
                                     functions=["claim_status", "remittance_era"], reevaluate=False)
        provisioning_task_create(account=acct, kind="change", acting_user=world.alice, functions=["claim_status"])
    findings_evaluate_organization(organization=world.org)


@pytest.mark.parametrize("name", ["roster", "matrix", "findings", "tasks"])
def test_list_pages_take_the_same_number_of_queries_as_staff_grow(world, setup, client_for,
                                                                  django_assert_num_queries, name):
    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    availity = setup[1]
    client = client_for(world.alice)
    # A frozen clock: the idle-timeout middleware touches the session every few seconds, which
    # would add queries unrelated to the page when the machine is slow.
    with time_machine.travel(timezone.now(), tick=False):
        client.get(url(name))  # warm-up: the first request records the last organization used
        _grow(world, availity, 3)
        with CaptureQueriesContext(connection) as small:
            assert client.get(url(name)).status_code == 200
        _grow(world, availity, 30)
        with CaptureQueriesContext(connection) as large:
            assert client.get(url(name)).status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    assert client.get(url(name) + "?assignee=all").content.count(b"Grow ") >= 33
    assert len(large) <= 20


def test_matrix_csv_export_is_flat_and_safe(world, setup, client_for, django_assert_max_num_queries):
    availity = setup[1]
    make_staff(world.org, "=HYPERLINK(\"http://evil\")")
    _grow(world, availity, 20)
    client = client_for(world.carol)
    with django_assert_max_num_queries(16):  # streamed (queries run while it is read) + the export.downloaded event
        response = client.get(url("matrix") + "?format=csv")
        body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["Staff member", "Work e-mail", "Job role", "Employment"]
    assert len(rows) == 1 + StaffMember.objects.filter(organization=world.org).count()
    assert any(r[0].startswith("'=HYPERLINK") for r in rows)
    dave_row = next(r for r in rows if r[0] == "Dave Staff")
    assert "dstaff1 [Active] Eligibility" in dave_row[4]


def test_the_dashboard_shows_counts_by_permission(world, setup, client_for):
    page = client_for(world.alice).get(reverse("dashboard", args=["cascade"]))
    assert b"Open findings" in page.content and b"Open provisioning tasks" in page.content
    page = client_for(world.dave).get(reverse("dashboard", args=["cascade"]))
    assert b"Open findings" not in page.content


def test_organization_credentials_page_records_and_rotates(world, setup, client_for):
    from access.models import OrganizationCredential
    from staff.services import staff_terminate

    maria, _, dave, *_ = setup
    client = client_for(world.alice)
    r = client.post(url("credentials"), {"kind": "clearinghouse_sftp", "label": "Clearinghouse SFTP",
                                         "login_id": "cascade-sftp", "password_reference": "hunter2",
                                         "custodians": [dave.pk]})
    assert r.status_code == 200 and b"never the password itself" in r.content
    client.post(url("credentials"), {"kind": "clearinghouse_sftp", "label": "Clearinghouse SFTP",
                                     "login_id": "cascade-sftp", "password_reference": "op://Ops/SFTP",
                                     "custodians": [dave.pk, maria.pk]})
    cred = OrganizationCredential.objects.get(organization=world.org)
    staff_terminate(staff=dave, acting_user=world.alice)
    page = client.get(url("findings"))
    assert b"Rotate organization credential Clearinghouse SFTP" in page.content
    assert url("credentials").encode() in page.content
    client.post(url("credentials"), {"rotate": cred.pk})
    cred.refresh_from_db()
    assert not cred.rotation_required
    assert client_for(world.bob).post(url("credentials"), {"rotate": cred.pk}).status_code == 403
