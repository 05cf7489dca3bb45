"""Bad input is refused or escaped, never executed, never a 500: forged CSRF, tampered session
cookies, other organizations' ids, oversized requests, HTML and script in text fields."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import GroupNPI, Membership, Organization, User
from audits.models import AuditEvent
from tests.factories import make_npi

from .routes import all_routes

EVIL = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def test_a_forged_csrf_token_is_refused_and_changes_nothing(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    url = reverse("members", args=[world.org.slug])
    for data in ({"email": world.eve.email, "role": "auditor"},
                 {"email": world.eve.email, "role": "auditor", "csrfmiddlewaretoken": "forged" * 8}):
        response = client.post(url, data)
        assert response.status_code == 403
        assert "Traceback" not in response.content.decode()
    assert not Membership.objects.filter(user=world.eve).exists()


def test_a_forged_csrf_token_on_sign_in_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": world.alice.email, "password": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("cookie", ["garbage", "x" * 5000, "' OR 1=1 --", "%00%ff", ""])
def test_a_tampered_session_cookie_is_just_anonymous(world, client_for, cookie):
    client = client_for(world.alice)
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = client.get(reverse("dashboard", args=[world.org.slug]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_session_cookie_from_another_login_cannot_be_edited_into_mfa(world, client):
    """The MFA flag names the user it was earned by; a session of bob carries none for alice."""
    from accounts.demo import ensure_demo_mfa
    from tests.conftest import PASSWORD

    ensure_demo_mfa(world.alice)
    client.post(reverse("login"), {"username": world.alice.email, "password": PASSWORD})
    session = client.session
    session["_portalgov_mfa_verified"] = str(world.bob.pk)
    session.save()
    assert client.get(reverse("dashboard", args=[world.org.slug])).status_code == 302


def test_another_organizations_identifier_cannot_be_removed_through_ours(world, client_for):
    theirs = GroupNPI.objects.create(organization=world.other_org, npi=make_npi(77))
    response = client_for(world.alice).post(
        reverse("organization_identifier_remove", args=[world.org.slug, "npi", theirs.pk])
    )
    assert response.status_code == 404
    assert GroupNPI.objects.filter(pk=theirs.pk).exists()


def test_an_unknown_role_in_a_form_is_a_field_error(world, client_for):
    response = client_for(world.alice).post(
        reverse("members", args=[world.org.slug]), {"email": world.eve.email, "role": "superuser"}
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=world.eve).exists()


def test_an_oversized_request_is_a_400_not_a_500(world, client_for, client):
    big = "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)
    response = client.post(reverse("login"), {"username": big, "password": "x"})
    assert response.status_code == 400
    response = client_for(world.alice).post(
        reverse("organization_profile", args=[world.org.slug]), {"form": "profile", "legal_name": big}
    )
    assert response.status_code == 400
    assert Organization.objects.get(pk=world.org.pk).legal_name == world.org.legal_name


def test_too_many_fields_is_a_400(world, client):
    data = {f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10)}
    assert client.post(reverse("login"), data).status_code == 400


def test_an_oversized_file_upload_is_refused(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("roster.csv", b"a," * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2 + 4096))
    url = next((r.url({"org_slug": world.org.slug}) for r in all_routes() if r.name == "roster_upload"), None)
    if url is None:
        pytest.skip("no upload page yet")
    response = client_for(world.alice).post(url, {"file": upload, "csv": upload})
    assert response.status_code in (200, 400, 413)
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "x" * 5000, EVIL])
def test_malformed_mfa_codes_are_form_errors(world, client, code):
    from accounts.demo import ensure_demo_mfa
    from tests.conftest import PASSWORD

    ensure_demo_mfa(world.alice)
    client.post(reverse("login"), {"username": world.alice.email, "password": PASSWORD})
    response = client.post(reverse("mfa_verify"), {"code": code})
    assert response.status_code == 200
    assert EVIL not in response.content.decode()


def test_script_in_text_fields_is_escaped_on_every_page(world, client_for):
    """Store the payload in the organization's name and a person's name, then open every page of
    the organization (discovered from the URL configuration) as its administrator."""
    Organization.objects.filter(pk=world.org.pk).update(legal_name=EVIL, practice_county=EVIL)
    User.objects.filter(pk=world.bob.pk).update(full_name=EVIL)
    client = client_for(world.alice)
    checked = 0
    for route in all_routes():
        if not route.is_org_route or route.is_api:
            continue
        response = client.get(route.url({"org_slug": world.org.slug}))
        assert response.status_code < 500, route.label
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            body = response.content.decode()
            assert EVIL not in body and "<script>alert" not in body, route.label
            checked += 1
    assert checked >= 3


def test_script_typed_into_the_organization_form_is_stored_as_text_and_shown_escaped(world, client_for):
    client = client_for(world.alice)
    url = reverse("organization_profile", args=[world.org.slug])
    client.post(url, {"form": "profile", "legal_name": EVIL, "tin": "12-3456789", "billing_states": ["WA"]})
    assert Organization.objects.get(pk=world.org.pk).legal_name == EVIL
    body = client.get(url).content.decode()
    assert "&lt;script&gt;" in body and EVIL not in body


def test_script_in_the_sign_in_form_is_escaped_and_audited_as_text(world, client):
    response = client.post(reverse("login"), {"username": EVIL, "password": "x"})
    assert response.status_code == 200
    assert EVIL not in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed", object_label=EVIL[:254]).exists()
