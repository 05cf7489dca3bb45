"""Rate limits on the API and SCIM: per credential and per client address, kept in the cache, a 429 with
Retry-After in each interface's own error shape; the address limit applies before the token is checked."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from accounts import roles
from integrations.services import credential_create


def _rates(address, credential):
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "api_address": address, "api_credential": credential}})


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _token(world, *perms, name):
    return credential_create(organization=world.org, acting_user=world.alice, name=name, permissions=perms)[1]


def test_a_credential_is_limited_and_told_when_to_retry(world, client):
    hr = _token(world, roles.VIEW_STAFF, name="HR")
    other = _token(world, roles.VIEW_STAFF, name="Other")
    staff = f"/api/v1/o/{world.org.slug}/staff/"
    with _rates("1000/min", "3/min"):
        for _ in range(3):
            assert client.get(staff, HTTP_AUTHORIZATION=f"Bearer {hr}").status_code == 200
        limited = client.get(staff, HTTP_AUTHORIZATION=f"Bearer {hr}")
        assert limited.status_code == 429
        assert 1 <= int(limited["Retry-After"]) <= 60
        assert limited.json()["code"] == "throttled" and "Retry-After" in limited.json()["detail"]
        # Another credential from the same address has its own budget.
        assert client.get(staff, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 200


def test_an_address_is_limited_before_its_tokens_are_checked(world, client):
    staff = f"/api/v1/o/{world.org.slug}/staff/"
    with _rates("3/min", "1000/min"):
        for _ in range(3):
            assert client.get(staff, HTTP_AUTHORIZATION="Bearer pgv_guess_guess").status_code == 401
        assert client.get(staff, HTTP_AUTHORIZATION="Bearer pgv_guess_guess").status_code == 429
        # Another address is not affected.
        assert client.get(staff, HTTP_AUTHORIZATION="Bearer pgv_guess_guess",
                          REMOTE_ADDR="10.9.8.7").status_code == 401


def test_scim_is_limited_with_a_scim_error(world, client):
    okta = _token(world, "scim", name="Okta")
    with _rates("1000/min", "2/min"):
        for _ in range(2):
            assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {okta}").status_code == 200
        limited = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {okta}")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    body = limited.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"] and body["status"] == "429"
