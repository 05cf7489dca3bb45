"""The test world, shared by every permission test (after healthchecks' hc/test.py):

- in "cascade" (Cascade Family Medicine): alice the administrator, bob the billing manager,
  carol the auditor, dave a staff member;
- in "other" (another practice): oscar its administrator;
- eve has a login but no role anywhere.
"""

import os
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.db import connection, transaction

from accounts.models import Role

from .factories import OrganizationFactory, UserFactory, member

pytest_plugins = ["tests.browser", "tests.fast_flush"]

PASSWORD = "correct horse battery staple"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class World:
    org: object
    other_org: object
    alice: object  # administrator
    bob: object  # billing manager
    carol: object  # auditor
    dave: object  # staff
    oscar: object  # administrator of the other organization
    eve: object  # no role anywhere

    def by_role(self):
        return {
            "administrator": self.alice,
            "billing_manager": self.bob,
            "auditor": self.carol,
            "staff": self.dave,
            "other_org_administrator": self.oscar,
            "no_role": self.eve,
        }


@pytest.fixture
def world(db):
    org = OrganizationFactory(legal_name="Cascade Family Medicine, PLLC", slug="cascade", billing_states=["WA", "OR"])
    other = OrganizationFactory(legal_name="Other Practice, LLC", slug="other")
    return World(
        org=org,
        other_org=other,
        alice=member(org, Role.ADMINISTRATOR, email="alice@cascade.example", full_name="Alice Admin"),
        bob=member(org, Role.BILLING_MANAGER, email="bob@cascade.example", full_name="Bob Billing"),
        carol=member(org, Role.AUDITOR, email="carol@cascade.example", full_name="Carol Auditor"),
        dave=member(org, Role.STAFF, email="dave@cascade.example", full_name="Dave Staff"),
        oscar=member(other, Role.ADMINISTRATOR, email="oscar@other.example", full_name="Oscar Other"),
        eve=UserFactory(email="eve@nowhere.example", full_name="Eve Outsider"),
    )


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client signed in as that user."""

    def _login(user):
        client.force_login(user)
        # Tests that are not about MFA act with a session that already passed it (explicitly,
        # also in real_mfa tests); the MFA tests sign in through the real pages instead.
        from security.testing import mark_session_mfa_verified

        mark_session_mfa_verified(client, user)
        return client

    return _login


def _require(marker_name: str, available: bool, reason: str):
    if available:
        return
    if IN_CI:
        pytest.fail(f"{marker_name} test in CI but {reason}", pytrace=False)
    pytest.skip(reason)


def redis_available() -> bool:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


@pytest.fixture(autouse=True)
def _force_login_passes_mfa(request, monkeypatch):
    """force_login sessions count as having passed MFA, except in tests marked real_mfa."""
    if request.node.get_closest_marker("real_mfa"):
        return
    from security.testing import force_login_passes_mfa

    force_login_passes_mfa(monkeypatch)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: ids come back after a rollback (SQLite), and a value cached by
    one test under an organization's id (the audit action menu, say) must not be another test's answer."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres"):
        _require("postgres", connection.vendor == "postgresql", "PostgreSQL is not the test database (set DATABASE_URL)")
    if request.node.get_closest_marker("redis"):
        _require("redis", redis_available(), "Redis is not reachable at TEST_REDIS_URL")


@contextmanager
def module_transaction(django_db_blocker):
    """Data made once for a whole module (a fixture with scope="module" yields inside this block).

    The block is a transaction around the module's tests: each test still runs in its own savepoint inside
    it and is rolled back after it as always, and the module's data goes with the rollback at the end. For
    modules whose every test wants the same read-only starting data (e.g. the reference directory) and that
    hold no transactional test; a test that is one fails (it would run inside this transaction)."""
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        depth = len(connection.atomic_blocks)
        try:
            yield
        finally:
            assert len(connection.atomic_blocks) == depth, "a test left the module's transaction"
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


def refuse_transactional(request):
    marker = request.node.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames \
            or "live_server" in request.fixturenames:
        pytest.fail("a transactional test cannot use module-wide data (module_transaction)", pytrace=False)
