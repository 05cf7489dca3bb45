"""NUL and other control characters in text input: one middleware refuses them with a clear 400 on pages,
the API and SCIM (PostgreSQL refuses NUL in text, which used to be a 500), and nothing is changed."""

import json

import pytest

from integrations.services import credential_create
from staff.models import StaffMember


@pytest.mark.parametrize("tail", ["staff/", "directory/", "audit/"])
@pytest.mark.parametrize("value", ["\x00", "a\x00b", "x\x1b[31m", "\x7f", "\x85"])
def test_a_control_character_in_a_page_search_is_a_400_page(world, client_for, tail, value):
    response = client_for(world.alice).get(f"/o/{world.org.slug}/{tail}", {"q": value})
    assert response.status_code == 400
    assert b"control character" in response.content and b"<html" in response.content.lower()


def test_a_search_is_one_line_but_any_letters(world, client_for):
    assert client_for(world.alice).get(f"/o/{world.org.slug}/staff/", {"q": "Dave\tStaff"}).status_code == 400
    assert client_for(world.alice).get(f"/o/{world.org.slug}/staff/", {"q": "Dave Staff é"}).status_code == 200


def test_a_form_post_with_nul_changes_nothing(world, client_for):
    response = client_for(world.alice).post(f"/o/{world.org.slug}/staff/new/", {
        "full_name": "Nul\x00Person", "work_email": "nul@cascade.example", "job_role": "coder"})
    assert response.status_code == 400 and b"full_name" in response.content
    assert not StaffMember.objects.filter(work_email="nul@cascade.example").exists()


def test_line_breaks_and_tabs_are_allowed_in_posted_text(world, client_for):
    from core.middleware import _CONTROL_MULTILINE, _bad_char

    assert _bad_char("line one\r\nline two\tindented", _CONTROL_MULTILINE) is None
    assert _bad_char("bell\x07", _CONTROL_MULTILINE) == "U+0007"


@pytest.mark.parametrize("params", [{"q": "\x00"}, {"actor": "a\x00"}, {"action": "staff.\x01*"},
                                    {"object_pk": "\x00"}])
def test_the_api_audit_search_refuses_control_characters(world, client_for, params):
    response = client_for(world.carol).get(f"/api/v1/o/{world.org.slug}/audit-events/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == list(params)


def test_an_api_json_body_with_a_control_character_changes_nothing(world, client):
    _, token = credential_create(organization=world.org, acting_user=world.alice, name="HR",
                                 permissions=["accounts.view_staff", "accounts.manage_staff"])
    response = client.post(f"/api/v1/o/{world.org.slug}/staff/upsert/",
                           json.dumps({"work_email": "x@cascade.example", "full_name": "X\u0000Y",
                                       "job_role": "coder"}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400 and "full_name" in response.json()["errors"]
    assert not StaffMember.objects.exists()


def test_scim_refuses_control_characters_with_a_scim_error(world, client):
    _, token = credential_create(organization=world.org, acting_user=world.alice, name="Okta", permissions=["scim"])
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@cascade.example",
            "displayName": "A\u0007", "title": "Coder"}
    response = client.post("/scim/v2/Users", json.dumps(body), content_type="application/scim+json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400 and response.json()["scimType"] == "invalidValue"
    filtered = client.get("/scim/v2/Users", {"filter": 'userName eq "a\x00"'}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert filtered.status_code == 400 and filtered.json()["scimType"] == "invalidValue"
    assert not StaffMember.objects.exists()
