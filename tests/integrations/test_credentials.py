"""API credentials: hashed, shown once, revocable, expiring; the page administrators use."""

import datetime
import hashlib
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audits.models import AuditEvent
from integrations.models import ApiCredential
from integrations.services import credential_authenticate, credential_create, credential_revoke

STAFF_URL = "/api/v1/o/{}/staff/"


def test_the_raw_token_is_not_in_the_database_only_a_hash_of_its_secret(world, make_credential):
    credential, token = make_credential(roles.VIEW_STAFF, roles.MANAGE_STAFF, name="HR system")
    prefix, key_id, secret = token.split("_", 2)
    assert prefix == "pgv" and key_id == credential.key_id and len(secret) >= 40
    assert credential.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_apicredential")
        dump = repr(cursor.fetchall())
    assert secret not in dump and token not in dump
    events = AuditEvent.objects.filter(action="integrations.credential_created", organization_id=world.org.pk)
    assert events.count() == 1 and secret not in repr(events.values().get())
    assert events.get().actor_label == "alice@cascade.example"


def test_a_wrong_secret_or_an_unknown_key_is_refused(world, make_credential, api):
    credential, token = make_credential(roles.VIEW_STAFF)
    assert credential_authenticate(token) == credential
    assert credential_authenticate(token[:-2] + "xx") is None
    assert credential_authenticate(f"pgv_ffffffffffff_{token.split('_', 2)[2]}") is None
    for bad in ("", "pgv", "pgv__", "bearer", token.replace("pgv_", "abc_")):
        assert credential_authenticate(bad) is None
    response = api(token[:-2] + "xx").get(STAFF_URL.format(world.org.slug))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_and_expired_credentials_answer_401(world, make_credential, api, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 27, 12, tzinfo=datetime.UTC))
    credential, token = make_credential(roles.VIEW_STAFF, expires_at=timezone.now() + datetime.timedelta(days=1))
    url = STAFF_URL.format(world.org.slug)
    assert api(token).get(url).status_code == 200
    time_machine.move_to(datetime.datetime(2026, 11, 28, 12, 0, 1, tzinfo=datetime.UTC))
    assert api(token).get(url).status_code == 401

    other, other_token = make_credential(roles.VIEW_STAFF, name="IdP")
    assert api(other_token).get(url).status_code == 200
    credential_revoke(credential=other, acting_user=world.alice)
    assert api(other_token).get(url).status_code == 401
    assert AuditEvent.objects.filter(action="integrations.credential_revoked", object_pk=str(other.pk)).count() == 1


def test_last_used_is_recorded_at_most_once_a_minute(world, make_credential, api, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 27, 12, tzinfo=datetime.UTC), tick=False)
    credential, token = make_credential(roles.VIEW_STAFF)
    api(token).get(STAFF_URL.format(world.org.slug))
    credential.refresh_from_db()
    assert credential.last_used_at == timezone.now()


def test_a_credential_carries_only_known_api_permissions(world):
    with pytest.raises(Exception) as exc:
        credential_create(organization=world.org, acting_user=world.alice, name="too much",
                          permissions=[roles.MANAGE_MEMBERS])
    assert "permissions" in exc.value.message_dict
    with pytest.raises(Exception):
        credential_create(organization=world.org, acting_user=world.alice, name="", permissions=[roles.VIEW_STAFF])
    assert not ApiCredential.objects.exists()


# --- the page -----------------------------------------------------------------------------------
def test_an_administrator_creates_a_credential_and_sees_the_token_once(world, client_for):
    client = client_for(world.alice)
    url = reverse("integrations", args=[world.org.slug])
    response = client.post(url, {"name": "HR system", "permissions": [roles.VIEW_STAFF, roles.MANAGE_STAFF]})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    credential = ApiCredential.objects.get()
    token = response.context["token"]
    assert token.startswith(f"pgv_{credential.key_id}_") and token in response.content.decode()
    assert credential.permissions == sorted([roles.VIEW_STAFF, roles.MANAGE_STAFF])
    assert credential.created_by == world.alice
    again = client.get(url).content.decode()
    assert token not in again and credential.key_id in again and "HR system" in again


def test_bad_input_on_the_page_changes_nothing(world, client_for):
    client = client_for(world.alice)
    url = reverse("integrations", args=[world.org.slug])
    for data in ({"name": "", "permissions": [roles.VIEW_STAFF]}, {"name": "x"},
                 {"name": "x", "permissions": ["accounts.manage_members"]},
                 {"name": "x", "permissions": [roles.VIEW_STAFF], "expires_on": "2020-01-01"}):
        response = client.post(url, data)
        assert response.status_code == 400 and not response.context["token"]
    assert not ApiCredential.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="integrations.").exists()


def test_an_administrator_revokes_a_credential_of_their_own_organization_only(world, client_for, make_credential):
    credential, _ = make_credential(roles.VIEW_STAFF)
    foreign, _ = make_credential(roles.VIEW_STAFF, org=world.other_org)
    client = client_for(world.alice)
    response = client.post(reverse("integrations_credential_revoke", args=[world.org.slug, foreign.pk]),
                           {"confirm": "yes"})
    assert response.status_code == 404
    revoke = reverse("integrations_credential_revoke", args=[world.org.slug, credential.pk])
    # First what will stop working, and nothing revoked without the confirmation.
    html = unescape(client.get(revoke).content.decode())
    assert "is refused (401) at once; it was never used" in html and "This cannot be undone" in html
    assert "Nothing was revoked" in client.post(revoke).content.decode()
    credential.refresh_from_db()
    assert credential.revoked_at is None
    assert not AuditEvent.objects.filter(action="integrations.credential_revoked").exists()
    response = client.post(revoke, {"confirm": "yes"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="integrations.credential_revoked").count() == 1
    credential.refresh_from_db()
    foreign.refresh_from_db()
    assert credential.revoked_at and credential.revoked_by == world.alice and foreign.revoked_at is None


@pytest.mark.parametrize("who", ["bob", "carol", "dave", "oscar", "eve"])
def test_only_administrators_of_the_organization_manage_credentials(world, client_for, who):
    client = client_for(getattr(world, who))
    response = client.post(reverse("integrations", args=[world.org.slug]),
                           {"name": "sneaky", "permissions": [roles.VIEW_STAFF]})
    assert response.status_code == 403 and not ApiCredential.objects.exists()


def test_the_page_takes_the_same_queries_as_credentials_grow(world, client_for, make_credential):
    client = client_for(world.alice)
    url = reverse("integrations", args=[world.org.slug])
    make_credential(roles.VIEW_STAFF, name="first")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(15):
        make_credential(roles.VIEW_STAFF, name=f"more {i}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_django_admin_shows_credentials_read_only_without_the_hash(world, make_credential, client,
                                                                       django_user_model):
    credential, _ = make_credential(roles.VIEW_STAFF)
    operator = django_user_model.objects.create_superuser(email="ops@example.org", password="x", full_name="Ops")
    client.force_login(operator)
    assert client.get("/admin/integrations/apicredential/").status_code == 200
    page = client.get(f"/admin/integrations/apicredential/{credential.pk}/change/")
    assert page.status_code == 200 and credential.secret_hash not in page.content.decode()
    assert client.get("/admin/integrations/apicredential/add/").status_code == 403
