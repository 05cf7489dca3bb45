"""SCIM 2.0 Users against RFC 7644's request and response examples (3.3 create, 3.4.2 filter, 3.5.2 PATCH,
3.6 DELETE), Okta's and Entra ID's PATCH forms, the leaver flow with its one-hour clock, errors with
scimType, scopes, revocation and the audit trail."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.models import AccountStatus, ProvisioningTask
from accounts import roles
from audits.models import AuditEvent
from integrations.services import SCIM_SCOPE, credential_create, credential_revoke
from offboarding.models import OffboardingCase
from scim.models import JobTitleMapping, ScimIdentity
from staff.models import EmploymentStatus, JobRole, StaffMember

from ..staff.factories import make_enrollment, make_portal, make_staff

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM = "application/scim+json"


@pytest.fixture
def scim(world, client):
    credential, token = credential_create(organization=world.org, acting_user=world.alice, name="Okta",
                                          permissions=[SCIM_SCOPE])

    class Scim:
        def __init__(self, token):
            self.credential = credential
            self.h = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        def get(self, path, data=None, **kw):
            return client.get(f"/scim/v2/{path}", data or {}, **{**self.h, **kw})

        def send(self, method, path, body, content_type=SCIM):
            raw = body if isinstance(body, str | bytes) else json.dumps(body)
            return getattr(client, method)(f"/scim/v2/{path}", raw, content_type=content_type, **self.h)

        def post(self, path, body, **kw):
            return self.send("post", path, body, **kw)

        def put(self, path, body):
            return self.send("put", path, body)

        def patch(self, path, body):
            return self.send("patch", path, body)

        def delete(self, path):
            return client.delete(f"/scim/v2/{path}", **self.h)

    return Scim(token)


# RFC 7644 3.3: the example create request (Barbara Jensen), with the enterprise extension.
BJENSEN = {
    "schemas": [CORE, ENTERPRISE],
    "userName": "bjensen@cascade.example",
    "externalId": "bjensen",
    "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
    "title": "Coder",
    "emails": [{"value": "bjensen@cascade.example", "type": "work", "primary": True}],
    ENTERPRISE: {"employeeNumber": "701984", "department": "Billing office"},
}


def _error(response, status, scim_type=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(SCIM)
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    if scim_type:
        assert body["scimType"] == scim_type, body
    return body


def test_create_answers_201_with_the_resource_and_its_location(world, scim):
    response = scim.post("Users", BJENSEN)
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith(SCIM)
    user = response.json()
    staff = StaffMember.objects.get(organization=world.org, work_email="bjensen@cascade.example")
    assert user["id"] == str(staff.pk) and user["userName"] == "bjensen@cascade.example"
    assert response["Location"] == user["meta"]["location"] == f"http://testserver/scim/v2/Users/{staff.pk}"
    assert user["meta"]["resourceType"] == "User" and user["active"] is True
    assert user["externalId"] == "bjensen" and user["name"]["givenName"] == "Barbara"
    assert user[ENTERPRISE] == {"employeeNumber": "701984", "department": "Billing office"}
    assert staff.full_name == "Ms. Barbara J Jensen III" and staff.job_role == JobRole.CODER
    assert AuditEvent.objects.filter(action="staff.created", actor_type="api", actor_label="api:Okta").exists()
    event = AuditEvent.objects.get(action="scim.create")
    assert event.actor_label == "api:Okta" and event.object_pk == str(staff.pk) and "-> 201" in event.message


def test_title_goes_through_the_practices_mapping(world, scim):
    JobTitleMapping.objects.create(organization=world.org, title="Revenue Cycle Specialist",
                                   job_role=JobRole.BILLING_SPECIALIST)
    response = scim.post("Users", {**BJENSEN, "title": "revenue cycle specialist"})
    assert response.status_code == 201
    assert StaffMember.objects.get(work_email="bjensen@cascade.example").job_role == JobRole.BILLING_SPECIALIST
    body = _error(scim.post("Users", {**BJENSEN, "userName": "x@cascade.example", "emails": [],
                                      "title": "Astronaut"}), 400, "invalidValue")
    assert "Astronaut" in body["detail"] and not StaffMember.objects.filter(work_email="x@cascade.example").exists()


def test_the_same_username_twice_is_a_uniqueness_conflict(world, scim):
    assert scim.post("Users", BJENSEN).status_code == 201
    _error(scim.post("Users", {**BJENSEN, "userName": "BJensen@Cascade.example"}), 409, "uniqueness")
    assert StaffMember.objects.filter(organization=world.org).count() == 1


def test_filter_by_username_as_rfc_7644_3_4_2(world, scim):
    make_staff(world.org, "Someone Else", work_email="else@cascade.example")
    created = scim.post("Users", BJENSEN).json()
    response = scim.get("Users", {"filter": 'userName eq "BJENSEN@cascade.example"'})
    assert response.status_code == 200 and response["Content-Type"].startswith(SCIM)
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 1 and body["itemsPerPage"] == 1 and body["startIndex"] == 1
    assert body["Resources"][0]["id"] == created["id"]
    none = scim.get("Users", {"filter": 'userName eq "nobody@cascade.example"'}).json()
    assert none["totalResults"] == 0 and none["Resources"] == []
    both = scim.get("Users", {"filter": f'externalId eq "bjensen" and id eq "{created["id"]}"'}).json()
    assert both["totalResults"] == 1


@pytest.mark.parametrize("text", ['userName co "jensen"', 'userName eq "a" or userName eq "b"', "userName pr",
                                  'name.givenName eq "Barbara"', '(userName eq "a")', 'userName eq bjensen',
                                  'userName eq "unterminated', "", 'userName eq "a" and'])
def test_unsupported_filters_are_refused_with_invalid_filter(world, scim, text):
    _error(scim.get("Users", {"filter": text}), 400, "invalidFilter")


def test_paging_with_start_index_and_count(world, scim):
    for i in range(5):
        make_staff(world.org, f"Person {i}", work_email=f"p{i}@cascade.example")
    page = scim.get("Users", {"startIndex": "2", "count": "2"}).json()
    assert page["totalResults"] == 5 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == ["p1@cascade.example", "p2@cascade.example"]
    # RFC 7644 3.4.2.4: below 1 is 1, negative count is 0, a huge count is capped; never a 500.
    assert scim.get("Users", {"startIndex": "0", "count": "-4"}).json()["itemsPerPage"] == 0
    huge = scim.get("Users", {"count": "100000000000000000000000", "startIndex": "99999999999999"})
    assert huge.status_code == 200 and huge.json()["Resources"] == []
    _error(scim.get("Users", {"count": "ten"}), 400, "invalidValue")


def test_listing_users_takes_a_fixed_number_of_queries(world, scim):
    boss = make_staff(world.org, "Boss", work_email="boss@cascade.example")
    for i in range(3):
        make_staff(world.org, f"Person {i}", work_email=f"p{i}@cascade.example", manager=boss)
    scim.get("Users")
    with CaptureQueriesContext(connection) as few:
        scim.get("Users")
    for i in range(3, 12):
        make_staff(world.org, f"Person {i}", work_email=f"p{i}@cascade.example", manager=boss)
    with CaptureQueriesContext(connection) as many:
        assert len(scim.get("Users").json()["Resources"]) == 13
    assert len(many) == len(few)


@pytest.fixture
def leaver(world):
    """Tom (front desk) holds an active Availity account."""
    from access.services import portal_account_create

    tom = make_staff(world.org, "Tom Reed", work_email="tom@cascade.example")
    enrollment = make_enrollment(world.org, make_portal("Availity Essentials"))
    account = portal_account_create(staff_member=tom, enrollment=enrollment, acting_user=world.alice,
                                    functions=["eligibility_benefits"], portal_user_id="treed", status="active",
                                    mfa_enrolled=True, last_login_attested=timezone.localdate(),
                                    password_last_changed=timezone.localdate(), password_reference="Bitwarden: x")
    return tom, account


def _assert_leaver_flow(tom, account, before):
    tom.refresh_from_db()
    account.refresh_from_db()
    assert tom.employment_status == EmploymentStatus.TERMINATED
    assert account.status == AccountStatus.DEACTIVATION_PENDING
    case = OffboardingCase.objects.get(staff_member=tom, completed_at__isnull=True)
    assert case.deadline_minutes == 60
    assert before <= case.recorded_at and case.due_at == case.recorded_at + datetime.timedelta(hours=1)
    assert ProvisioningTask.objects.filter(portal_account=account, kind=ProvisioningTask.Kind.DEACTIVATE,
                                           status=ProvisioningTask.Status.OPEN).exists()
    assert AuditEvent.objects.filter(action="offboarding.case_opened", actor_label="api:Okta").exists()
    return case


def test_okta_patch_active_false_opens_the_leaver_case_with_its_one_hour_deadline(
        world, scim, leaver, mailoutbox, django_capture_on_commit_callbacks):
    tom, account = leaver
    before = timezone.now()
    # Okta's form (RFC 7644 3.5.2.3, with a path).
    with django_capture_on_commit_callbacks(execute=True):
        response = scim.patch(f"Users/{tom.pk}", {"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "active", "value": False}]})
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    _assert_leaver_flow(tom, account, before)
    assert any("Tom Reed" in m.subject for m in mailoutbox), "the administrators are told at once"
    event = AuditEvent.objects.get(action="scim.patch")
    assert event.actor_label == "api:Okta" and event.changes == {"active": [True, False]}


@pytest.mark.parametrize("value", [False, "False", "false"])
def test_entra_patch_value_object_form_with_string_booleans(world, scim, leaver, value):
    tom, account = leaver
    before = timezone.now()
    response = scim.patch(f"Users/{tom.pk}", {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "value": {"active": value}}]})
    assert response.status_code == 200, response.content
    _assert_leaver_flow(tom, account, before)


def test_entra_patch_of_attributes_with_urn_paths(world, scim):
    boss = make_staff(world.org, "Boss", work_email="boss@cascade.example")
    user = scim.post("Users", BJENSEN).json()
    response = scim.patch(f"Users/{user['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(boss.pk)},
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Front office"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "barbara@cascade.example"},
        {"op": "Replace", "value": {"displayName": "Barbara Jensen", "name.givenName": "Babs"}},
        {"op": "Remove", "path": "externalId"},
    ]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body[ENTERPRISE]["manager"]["value"] == str(boss.pk) and body[ENTERPRISE]["department"] == "Front office"
    assert body["userName"] == "barbara@cascade.example" and body["displayName"] == "Barbara Jensen"
    assert body["name"]["givenName"] == "Babs" and "externalId" not in body
    staff = StaffMember.objects.get(pk=user["id"])
    assert staff.manager == boss and staff.work_email == "barbara@cascade.example" and staff.is_active


def test_put_replaces_the_user_and_active_false_starts_the_leaver_flow(world, scim, leaver):
    tom, account = leaver
    before = timezone.now()
    body = {"schemas": [CORE], "userName": "tom@cascade.example", "displayName": "Tom Reed", "active": False,
            "title": "Front desk"}
    response = scim.put(f"Users/{tom.pk}", body)
    assert response.status_code == 200, response.content
    _assert_leaver_flow(tom, account, before)
    # Sending the same again changes nothing.
    count = AuditEvent.objects.filter(action__startswith="staff.").count()
    assert scim.put(f"Users/{tom.pk}", body).status_code == 200
    assert AuditEvent.objects.filter(action__startswith="staff.").count() == count


def test_active_true_again_on_a_leaver_is_refused_and_says_why(world, scim, leaver):
    tom, _ = leaver
    scim.patch(f"Users/{tom.pk}", {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active",
                                                                        "value": False}]})
    body = _error(scim.patch(f"Users/{tom.pk}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "active", "value": True}]}), 400, "mutability")
    assert "left the practice" in body["detail"] and "re-hired" in body["detail"]
    tom.refresh_from_db()
    assert tom.employment_status == EmploymentStatus.TERMINATED
    event = AuditEvent.objects.filter(action="scim.patch").latest("pk")
    assert event.severity == AuditEvent.Severity.WARNING and "-> 400" in event.message


def test_delete_starts_the_leaver_flow_and_the_user_is_gone(world, scim, leaver):
    tom, account = leaver
    before = timezone.now()
    response = scim.delete(f"Users/{tom.pk}")
    assert response.status_code == 204 and response.content == b""
    _assert_leaver_flow(tom, account, before)
    assert StaffMember.objects.filter(pk=tom.pk).exists()  # the roster keeps the leaver's history
    _error(scim.get(f"Users/{tom.pk}"), 404, "noTarget")
    _error(scim.delete(f"Users/{tom.pk}"), 404, "noTarget")
    assert scim.get("Users", {"filter": 'userName eq "tom@cascade.example"'}).json()["totalResults"] == 0
    assert ScimIdentity.objects.get(staff_member=tom).deprovisioned_at is not None
    assert AuditEvent.objects.filter(action="scim.delete", actor_label="api:Okta").count() == 2


@pytest.mark.parametrize("body,scim_type", [
    ("{not json", "invalidSyntax"),
    ([1, 2], "invalidSyntax"),
    ({"userName": "a@cascade.example"}, "invalidSyntax"),  # no schemas
    ({**BJENSEN, "schemas": [CORE, "urn:example:custom"]}, "invalidSyntax"),
    ({**BJENSEN, "shoeSize": 42}, "invalidPath"),
    ({**BJENSEN, "active": "maybe"}, "invalidValue"),
    ({**BJENSEN, "userName": "not an e-mail"}, "invalidValue"),
    ({**BJENSEN, "userName": 12}, "invalidValue"),
    ({**BJENSEN, "name": "Barbara"}, "invalidValue"),
    ({**BJENSEN, ENTERPRISE: {"manager": {"value": "999999"}}}, "invalidValue"),
    ({**BJENSEN, "displayName": "x" * 300}, "invalidValue"),
])
def test_bad_creates_are_scim_errors_and_change_nothing(world, scim, body, scim_type):
    _error(scim.post("Users", body), 400, scim_type)
    assert not StaffMember.objects.exists()


@pytest.mark.parametrize("ops,scim_type", [
    ([{"op": "replace", "path": "active", "value": "perhaps"}], "invalidValue"),
    ([{"op": "remove", "path": "userName"}], "mutability"),
    ([{"op": "replace", "path": "shoeSize", "value": 1}], "invalidPath"),
    ([{"op": "jump", "path": "active", "value": False}], "invalidSyntax"),
    ([{"op": "replace", "value": False}], "invalidValue"),
    ([{"op": "remove"}], "noTarget"),
    ([], "invalidSyntax"),
    ([{"op": "replace", "path": "active", "value": False}, {"op": "replace", "path": "bogus", "value": 1}],
     "invalidPath"),
])
def test_bad_patches_are_scim_errors_and_change_nothing(world, scim, leaver, ops, scim_type):
    tom, account = leaver
    _error(scim.patch(f"Users/{tom.pk}", {"schemas": [PATCH], "Operations": ops}), 400, scim_type)
    tom.refresh_from_db()
    assert tom.is_active and not OffboardingCase.objects.exists()


def test_another_organizations_people_do_not_exist_here(world, scim):
    theirs = make_staff(world.other_org, "Theirs", work_email="t@other.example")
    _error(scim.get(f"Users/{theirs.pk}"), 404, "noTarget")
    _error(scim.patch(f"Users/{theirs.pk}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "active", "value": False}]}), 404, "noTarget")
    _error(scim.delete(f"Users/{theirs.pk}"), 404, "noTarget")
    _error(scim.get("Users/99999999999999999999999"), 404, "noTarget")
    theirs.refresh_from_db()
    assert theirs.is_active
    assert scim.get("Users", {"filter": 'userName eq "t@other.example"'}).json()["totalResults"] == 0
    _error(scim.post("Users", {**BJENSEN, ENTERPRISE: {"manager": {"value": str(theirs.pk)}}}), 400, "invalidValue")


def test_credentials_scope_and_revocation(world, client, scim, make_token):
    assert scim.get("Users").status_code == 200
    _error(client.get("/scim/v2/Users"), 401)
    response = client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer pgv_nope_nope")
    _error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    hr_token = make_token(roles.VIEW_STAFF, roles.MANAGE_STAFF)
    body = _error(client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {hr_token}"), 403)
    assert "scim scope" in body["detail"]
    credential_revoke(credential=scim.credential, acting_user=world.alice)
    _error(scim.get("Users"), 401)
    _error(scim.post("Users", BJENSEN), 401)
    assert not StaffMember.objects.exists()


def test_a_scim_credential_cannot_use_the_rest_api(world, client, scim):
    response = client.get(f"/api/v1/o/{world.org.slug}/staff/", **scim.h)
    assert response.status_code == 403


def test_discovery_endpoints(world, scim):
    spc = scim.get("ServiceProviderConfig").json()
    assert spc["patch"]["supported"] is True and spc["bulk"]["supported"] is False
    assert spc["filter"] == {"supported": True, "maxResults": 200}
    assert spc["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    schemas = scim.get("Schemas").json()
    assert {s["id"] for s in schemas["Resources"]} == {CORE, ENTERPRISE}
    assert scim.get(f"Schemas/{CORE}").json()["name"] == "User"
    types = scim.get("ResourceTypes").json()["Resources"]
    assert types[0]["endpoint"] == "/Users" and types[0]["schemaExtensions"][0]["schema"] == ENTERPRISE
    _error(scim.get("Groups"), 404, "noTarget")
    _error(scim.get("Schemas/urn:nope"), 404, "noTarget")
    assert AuditEvent.objects.filter(action="scim.read", actor_label="api:Okta").count() >= 5


def test_plain_json_is_accepted_and_scim_json_answered(world, scim):
    response = scim.post("Users", BJENSEN, content_type="application/json")
    assert response.status_code == 201 and response["Content-Type"].startswith(SCIM)
    _error(scim.post("Users", "userName=x", content_type="application/x-www-form-urlencoded"), 415)


def test_a_desk_or_role_name_is_refused_as_a_person(world, scim):
    """Issue 16: the generic-name rule holds on the SCIM path too, with the rule named."""
    desk = {**BJENSEN, "userName": "frontdesk@cascade.example", "emails": [], "displayName": "Front Desk",
            "name": {"formatted": "Front Desk", "givenName": "Front", "familyName": "Desk"}}
    body = _error(scim.post("Users", desk), 400, "invalidValue")
    assert "desk or role name" in body["detail"]
    assert not StaffMember.objects.filter(work_email="frontdesk@cascade.example").exists()
