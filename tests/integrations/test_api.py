"""The integrations API with a bearer credential: scope, audit attribution, HR upsert, termination,
bad input, other organizations, and flat query counts."""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.models import AccountStatus, ProvisioningTask
from accounts import roles
from audits.models import AuditEvent
from staff.models import EmploymentStatus, JobRole, StaffMember

from ..staff.factories import make_enrollment, make_portal, make_staff

HR = (roles.VIEW_STAFF, roles.MANAGE_STAFF)
AUDITOR = (roles.VIEW_AUDIT_LOG, roles.EXPORT_AUDIT_LOG)


def url(org, tail=""):
    return f"/api/v1/o/{org.slug}/{tail}"


@pytest.fixture
def hr(world, make_credential, api):
    credential, token = make_credential(*HR, name="HR system")
    client = api(token)
    client.credential = credential
    return client


def _accounts_for(world, person, n=1):
    from access.services import portal_account_create

    made = []
    for i in range(n):
        enrollment = make_enrollment(world.org, make_portal())
        made.append(portal_account_create(
            staff_member=person, enrollment=enrollment, acting_user=world.alice, functions=["eligibility_benefits"],
            portal_user_id=f"{person.pk}-u{i}", status="active", mfa_enrolled=True,
            last_login_attested=timezone.localdate(), password_last_changed=timezone.localdate(),
            password_reference="Bitwarden: Portals - secret-entry"))
    return made


# --- scope ----------------------------------------------------------------------------------------
def test_a_credential_reaches_only_what_its_permissions_allow(world, make_credential, api):
    _, token = make_credential(*AUDITOR, name="Auditor tool")
    auditor = api(token)
    assert auditor.get(url(world.org, "audit-events/")).status_code == 200
    for tail in ("staff/", "portal-accounts/", "findings/"):
        assert auditor.get(url(world.org, tail)).status_code == 403, tail
    assert auditor.post(url(world.org, "staff/upsert/"), {"work_email": "x@y.example"}).status_code == 403
    _, ro_token = make_credential(roles.VIEW_STAFF, name="read only")
    assert api(ro_token).get(url(world.org, "staff/")).status_code == 200
    response = api(ro_token).post(url(world.org, "staff/upsert/"),
                                  {"work_email": "x@y.example", "full_name": "X", "job_role": "coder"})
    assert response.status_code == 403 and not StaffMember.objects.exists()


def test_a_credential_used_for_another_organization_is_403(world, hr):
    make_staff(world.other_org, "Olga Other")
    assert hr.get(url(world.other_org, "staff/")).status_code == 403
    assert hr.post(url(world.other_org, "staff/upsert/"),
                   {"work_email": "a@b.example", "full_name": "A", "job_role": "coder"}).status_code == 403
    assert not StaffMember.objects.filter(organization=world.other_org, work_email="a@b.example").exists()


def test_another_organizations_ids_are_404(world, hr, make_credential, api):
    olga = make_staff(world.other_org, "Olga Other")
    account = _accounts_for(world, make_staff(world.org, "Mine"))[0]
    assert hr.get(url(world.org, f"staff/{olga.pk}/")).status_code == 404
    assert hr.post(url(world.org, f"staff/{olga.pk}/terminate/"), {"reason": "x"}).status_code == 404
    olga.refresh_from_db()
    assert olga.employment_status == EmploymentStatus.ACTIVE
    _, idp = make_credential(roles.VIEW_PORTAL_ACCOUNTS, name="IdP", org=world.other_org)
    assert api(idp).get(url(world.other_org, f"portal-accounts/{account.pk}/")).status_code == 404


def test_no_token_is_401_and_a_session_still_works(world, client, client_for):
    response = client.get(url(world.org, "staff/"))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert client.get(url(world.org, "staff/"), HTTP_AUTHORIZATION="Bearer").status_code == 401
    assert client_for(world.bob).get(url(world.org, "staff/")).status_code == 200


# --- HR sync ------------------------------------------------------------------------------------
def test_hr_upsert_by_email_creates_then_updates_and_is_idempotent(world, hr):
    body = {"work_email": "Nina.New@Cascade.example", "full_name": "Nina New", "job_role": "coder",
            "start_date": "2026-11-30"}
    first = hr.post(url(world.org, "staff/upsert/"), body)
    assert first.status_code == 201, first.content
    assert first.json()["work_email"] == "nina.new@cascade.example"
    events = AuditEvent.objects.filter(organization_id=world.org.pk, action__startswith="staff.")
    assert "staff.created" in set(events.values_list("action", flat=True))
    before = events.count()
    again = hr.post(url(world.org, "staff/upsert/"), body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert StaffMember.objects.filter(organization=world.org).count() == 1
    assert events.count() == before  # the repeat changed nothing, so nothing was logged
    moved = hr.post(url(world.org, "staff/upsert/"), {"work_email": "nina.new@cascade.example",
                                                       "job_role": "billing_specialist"})
    assert moved.status_code == 200 and moved.json()["job_role"] == "billing_specialist"
    assert StaffMember.objects.get().full_name == "Nina New"


def test_the_audit_events_of_an_api_change_name_the_credential(world, hr):
    response = hr.post(url(world.org, "staff/upsert/"),
                       {"work_email": "ann@cascade.example", "full_name": "Ann", "job_role": "coder"})
    assert response.status_code == 201
    events = AuditEvent.objects.filter(organization_id=world.org.pk, object_type="staff.staffmember",
                                       object_pk=str(response.json()["id"]))
    assert {"staff.created"} <= set(events.values_list("action", flat=True))
    assert {(e.actor_type, e.actor_label, e.actor_ref) for e in events} == {
        ("api", "api:HR system", hr.credential.key_id)}
    assert all(e.actor_id is None for e in events)


def test_bad_input_is_400_with_field_errors_and_changes_nothing(world, hr):
    make_staff(world.org, "Manager Mo", work_email="mo@cascade.example")
    before = AuditEvent.objects.count()
    cases = [
        ({}, "work_email"),
        ({"work_email": "not-an-email", "full_name": "X", "job_role": "coder"}, "work_email"),
        ({"work_email": "x@cascade.example", "full_name": "X", "job_role": "astronaut"}, "job_role"),
        ({"work_email": "x@cascade.example", "job_role": "coder"}, "full_name"),
        ({"work_email": "x@cascade.example", "full_name": "X", "job_role": "coder", "manager_email": "no@x.example"},
         "manager_email"),
        ({"work_email": "x@cascade.example", "full_name": "X", "job_role": "coder", "start_date": "2026-12-01",
          "end_date": "2026-11-01"}, "end_date"),
        ({"work_email": "x@cascade.example", "full_name": "X", "job_role": "coder", "start_date": "tomorrow"},
         "start_date"),
    ]
    for body, field in cases:
        response = hr.post(url(world.org, "staff/upsert/"), body)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], (body, response.json())
    assert StaffMember.objects.count() == 1 and AuditEvent.objects.count() == before
    for query in ("status=gone", "job_role=astronaut", "updated_since=yesterday"):
        assert hr.get(url(world.org, f"staff/?{query}")).status_code == 400, query


def test_terminate_through_the_api_creates_the_deactivation_tasks(world, hr, django_capture_on_commit_callbacks):
    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    accounts = _accounts_for(world, tom, n=2)
    response = hr.post(url(world.org, f"staff/{tom.pk}/terminate/"), {"end_date": "yesterday"})
    assert response.status_code == 400 and "end_date" in response.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(url(world.org, f"staff/{tom.pk}/terminate/"),
                           {"end_date": "2026-11-26", "reason": "Resigned (HR ticket 4411)"})
    assert response.status_code == 200, response.content
    assert response.json()["employment_status"] == "terminated" and response.json()["end_date"] == "2026-11-26"
    tasks = ProvisioningTask.objects.filter(organization=world.org, kind=ProvisioningTask.Kind.DEACTIVATE)
    assert sorted(tasks.values_list("portal_account_id", flat=True)) == sorted(a.pk for a in accounts)
    assert set(tom.portal_accounts.values_list("status", flat=True)) == {AccountStatus.DEACTIVATION_PENDING}
    # The service's event and the roster row's diff share the one canonical name (issue 13): the service's
    # carries the message.
    event = AuditEvent.objects.filter(action="staff.updated", object_pk=str(tom.pk)).exclude(message="").get()
    assert event.actor_type == "api" and event.actor_label == "api:HR system" and "HR ticket 4411" in event.message
    assert not AuditEvent.objects.filter(organization_id=world.org.pk, actor_type="anonymous").exists()


# --- reads --------------------------------------------------------------------------------------
def test_portal_accounts_show_functions_and_status_and_no_password_data(world, make_credential, api):
    account = _accounts_for(world, make_staff(world.org, "Pat"))[0]
    _, token = make_credential(roles.VIEW_PORTAL_ACCOUNTS, name="IdP")
    body = api(token).get(url(world.org, "portal-accounts/")).json()
    row = body["results"][0]
    assert row["id"] == account.pk and row["status"] == "active" and row["functions"] == ["eligibility_benefits"]
    assert "password" not in repr(body).lower() and "secret-entry" not in repr(body)
    detail = api(token).get(url(world.org, f"portal-accounts/{account.pk}/"))
    assert detail.status_code == 200 and detail.json()["portal_user_id"] == account.portal_user_id


def test_findings_lists_open_findings(world, make_credential, api):
    tom = make_staff(world.org, "Tom Left")
    _accounts_for(world, tom)
    # Left yesterday (recorded late): no offboarding grace, the leaver findings are open at once.
    import datetime

    from django.utils import timezone

    from staff.services import staff_terminate

    staff_terminate(staff=tom, acting_user=world.alice, end_date=timezone.localdate() - datetime.timedelta(days=1))
    _, token = make_credential(roles.VIEW_FINDINGS, name="GRC tool")
    rows = api(token).get(url(world.org, "findings/")).json()["results"]
    assert rows and all(r["id"] and r["rule"] and r["severity"] for r in rows)
    assert any(r["staff_member_id"] == tom.pk for r in rows)


def test_audit_events_filter_and_page_with_a_cursor(world, make_credential, api):
    from audits.services import record_event

    for i in range(5):
        record_event("test.pinged", actor=world.alice, organization=world.org, message=f"#{i}")
    record_event("test.pinged", actor=world.oscar, organization=world.other_org, message="foreign")
    _, token = make_credential(*AUDITOR, name="Auditor tool")
    client = api(token)
    first = client.get(url(world.org, "audit-events/"), {"action": "test.pinged", "limit": 2}).json()
    assert [e["message"] for e in first["results"]] == ["#4", "#3"] and first["next_cursor"]
    seen = [e["message"] for e in first["results"]]
    page = first
    while page["next_cursor"]:
        page = client.get(url(world.org, "audit-events/"),
                          {"action": "test.pinged", "limit": 2, "cursor": page["next_cursor"]}).json()
        seen += [e["message"] for e in page["results"]]
    assert seen == ["#4", "#3", "#2", "#1", "#0"]
    by_actor = client.get(url(world.org, "audit-events/"), {"actor": "alice@", "action": "test.*"}).json()
    assert len(by_actor["results"]) == 5
    import base64

    crafted = [base64.urlsafe_b64encode(raw.encode()).decode() for raw in (
        "0273-10-09T05:02:27+21:20|5", "2026-11-01T00:00:00+00:00|99999999999999999999999", "0001-01-01T00:00:00+01:00|1")]
    for bad in ({"since": "nope"}, {"limit": "0"}, {"cursor": "garbage!"}, {"since": ""}, {"limit": "201"},
                *({"cursor": c} for c in crafted)):
        assert client.get(url(world.org, "audit-events/"), bad).status_code == 400, bad
    # Until before since: two valid dates (as the schema says), so no events rather than an error.
    empty = client.get(url(world.org, "audit-events/"), {"since": "2026-11-02", "until": "2026-11-01"})
    assert empty.status_code == 200 and empty.json()["results"] == [] and empty.json()["next_cursor"] is None


# --- query counts -------------------------------------------------------------------------------
def _count(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries)


def test_list_endpoints_take_the_same_queries_as_rows_grow(world, make_credential, api):
    from audits.services import record_event
    from staff.services import staff_terminate

    _, token = make_credential(roles.VIEW_STAFF, roles.VIEW_PORTAL_ACCOUNTS, roles.VIEW_FINDINGS,
                               roles.VIEW_AUDIT_LOG, name="everything")
    client = api(token)
    paths = [url(world.org, t) for t in ("staff/", "portal-accounts/", "findings/", "audit-events/")]

    def grow(n):
        boss = make_staff(world.org)
        for _ in range(n):
            person = make_staff(world.org, manager=boss)
            _accounts_for(world, person)
            staff_terminate(staff=person, acting_user=world.alice)
            record_event("test.pinged", actor=world.alice, organization=world.org)

    grow(1)
    for p in paths:
        _count(client, p)  # warm caches (content types, credential's last_used_at)
    few = [_count(client, p) for p in paths]
    grow(6)
    many = [_count(client, p) for p in paths]
    assert many == few


def test_the_credential_acts_only_for_the_duration_of_its_request(world, hr, client_for):
    from core.context import current_actor

    hr.post(url(world.org, "staff/upsert/"), {"work_email": "a@cascade.example", "full_name": "A", "job_role": "coder"})
    assert current_actor() is None
    response = client_for(world.alice).post(url(world.org, "staff/upsert/"),
                                            {"work_email": "b@cascade.example", "full_name": "B", "job_role": "coder"},
                                            content_type="application/json")
    assert response.status_code == 201
    events = AuditEvent.objects.filter(action="staff.created", object_pk=str(response.json()["id"]))
    assert events and {(e.actor_type, e.actor_label) for e in events} == {("user", "alice@cascade.example")}
