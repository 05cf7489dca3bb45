"""Multi-factor sign-in: who must use it, enrolment, sign-in with a code or a recovery code, audit."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import mfa
from accounts.demo import ensure_demo_mfa
from accounts.models import RecoveryCode, TOTPDevice
from audits.models import AuditEvent

pytestmark = pytest.mark.real_mfa


def actions(user=None):
    qs = AuditEvent.objects.order_by("id")
    if user is not None:
        qs = qs.filter(object_id=str(user.pk), object_type="accounts.user")
    return list(qs.values_list("action", flat=True))


@pytest.mark.parametrize(
    "who,required", [("alice", True), ("carol", True), ("oscar", True), ("bob", False), ("dave", False), ("eve", False)]
)
def test_mfa_is_required_for_administrators_and_auditors_only(world, who, required):
    assert mfa.mfa_required(getattr(world, who)) is required


def test_an_organization_can_require_mfa_for_every_role(world):
    world.org.mfa_required_for_all = True
    world.org.save()
    assert mfa.mfa_required(world.bob) and mfa.mfa_required(world.dave)
    assert not mfa.mfa_required(world.eve)


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_an_unenrolled_administrator_or_auditor_reaches_nothing_but_enrolment(world, client, password_login, who):
    user = getattr(world, who)
    response = password_login(user)
    assert response.status_code == 302
    for url in [reverse("home"), reverse("dashboard", args=[world.org.slug]),
                reverse("organization_profile", args=[world.org.slug]), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("mfa_enroll")), url
    api = client.get(reverse("api-organization", args=[world.org.slug]))
    assert api.status_code == 403
    assert "Multi-factor" in api.json()["detail"]
    assert client.get(reverse("mfa_enroll")).status_code == 200


@pytest.mark.parametrize("who", ["bob", "dave"])
def test_other_roles_sign_in_without_mfa_unless_the_organization_requires_it(world, client, password_login, who):
    user = getattr(world, who)
    password_login(user)
    assert client.get(reverse("dashboard", args=[world.org.slug])).status_code == 200
    client.logout()
    world.org.mfa_required_for_all = True
    world.org.save()
    password_login(user)
    response = client.get(reverse("dashboard", args=[world.org.slug]))
    assert response["Location"].startswith(reverse("mfa_enroll"))


def _enrol(client, user):
    page = client.get(reverse("mfa_enroll"))
    secret = page.context["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert page.context["qr"].startswith("data:image/svg+xml")
    response = client.post(reverse("mfa_enroll"), {"code": mfa.current_code(secret)})
    assert response.status_code == 200
    return secret, response.context["codes"]


def test_enrolment_turns_mfa_on_shows_recovery_codes_once_and_is_audited(world, client, password_login):
    password_login(world.alice)
    bad = client.post(reverse("mfa_enroll"), {"code": "000000"})
    assert "That code is not valid" in bad.content.decode()
    assert not mfa.is_enrolled(world.alice)

    with time_machine.travel(timezone.now() + timedelta(seconds=3)):  # after the back-off
        secret, codes = _enrol(client, world.alice)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert mfa.is_enrolled(world.alice)
    assert client.get(reverse("dashboard", args=[world.org.slug])).status_code == 200
    got = actions(world.alice)
    for expected in ["mfa.enrolment_started", "mfa.enrolment_code_rejected", "mfa.enrolled",
                     "mfa.recovery_codes_generated"]:
        assert expected in got
    # The secret is encrypted in the database; the codes are kept only as one-way hashes.
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice")
        stored = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT code_hash FROM accounts_recoverycode")
        stored_codes = {row[0] for row in cursor.fetchall()}
    assert secret not in stored and all(s.startswith("gAAAA") for s in stored)
    assert all(s.startswith("sha256$") for s in stored_codes) and len(stored_codes) == 10
    assert not any(mfa._normalize_code(c) in s for c in codes for s in stored_codes)


def test_a_password_sign_in_needs_a_fresh_code_and_a_code_works_once(world, client, password_login):
    secret = ensure_demo_mfa(world.alice)
    dashboard = reverse("dashboard", args=[world.org.slug])
    password_login(world.alice)
    response = client.get(dashboard)
    assert response["Location"].startswith(reverse("mfa_verify"))
    assert "next=" in response["Location"]

    response = client.post(reverse("mfa_verify"), {"code": "123456", "next": dashboard})
    assert "That code is not valid" in response.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):  # after the back-off
        code = mfa.current_code(secret)
        response = client.post(reverse("mfa_verify"), {"code": code, "next": dashboard})
    assert response.status_code == 302 and response["Location"] == dashboard
    assert client.get(dashboard).status_code == 200
    assert "mfa.verify_failed" in actions(world.alice) and "mfa.verified" in actions(world.alice)

    # Sign out and in again: the session no longer counts as verified, and the same code is refused.
    client.post(reverse("logout"))
    password_login(world.alice)
    assert client.get(dashboard).status_code == 302
    response = client.post(reverse("mfa_verify"), {"code": code, "next": dashboard})
    assert response.status_code == 200, "a replayed code must be refused"


def test_an_open_redirect_after_mfa_is_refused(world, client, password_login):
    secret = ensure_demo_mfa(world.alice)
    password_login(world.alice)
    response = client.post(reverse("mfa_verify"), {"code": mfa.current_code(secret), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_recovery_code_signs_in_once(world, client, password_login):
    password_login(world.alice)
    _, codes = _enrol(client, world.alice)
    client.post(reverse("logout"))

    password_login(world.alice)
    response = client.post(reverse("mfa_recovery"), {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get(reverse("dashboard", args=[world.org.slug])).status_code == 200
    assert RecoveryCode.objects.filter(user=world.alice, used_at__isnull=False).count() == 1
    client.post(reverse("logout"))

    password_login(world.alice)
    response = client.post(reverse("mfa_recovery"), {"code": codes[0]})
    assert "not valid or was already used" in response.content.decode()
    assert "mfa.recovery_code_used" in actions(world.alice)
    assert "mfa.recovery_code_rejected" in actions(world.alice)


def test_repeated_wrong_codes_are_throttled(world, client, password_login):
    secret = ensure_demo_mfa(world.alice)
    password_login(world.alice)
    with time_machine.travel("2026-11-27 12:00:00Z", tick=False):
        for _ in range(3):
            client.post(reverse("mfa_verify"), {"code": "000000"})
        # Even the right code is refused while the back-off lasts.
        right = mfa.current_code(secret)
        response = client.post(reverse("mfa_verify"), {"code": right})
        assert response.status_code == 200
        assert re.search(r"wait \d+ seconds", response.content.decode())
    assert "mfa.verify_throttled" in actions(world.alice)


def test_optional_mfa_can_be_turned_on_and_off_but_required_mfa_cannot(world, client, password_login):
    password_login(world.dave)
    _enrol(client, world.dave)
    client.post(reverse("account_security"), {"action": "disable"})
    assert not mfa.is_enrolled(world.dave)

    client.post(reverse("logout"))
    ensure_demo_mfa(world.alice)
    client.force_login(world.alice)
    from security.testing import mark_session_mfa_verified

    mark_session_mfa_verified(client, world.alice)
    response = client.post(reverse("account_security"), {"action": "disable"}, follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert mfa.is_enrolled(world.alice)


def test_an_administrator_resets_a_members_mfa_and_it_is_audited(world, client_for):
    ensure_demo_mfa(world.carol)
    membership = world.carol.memberships.get(organization=world.org)
    client = client_for(world.alice)
    response = client.post(reverse("security_member_mfa_reset", args=[world.org.slug, membership.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.carol).exists()
    event = AuditEvent.objects.get(action="mfa.reset")
    assert event.actor_label == world.alice.email and event.organization_id == world.org.pk


def test_an_administrator_of_another_organization_cannot_reset_mfa(world, client_for):
    ensure_demo_mfa(world.carol)
    membership = world.carol.memberships.get(organization=world.org)
    response = client_for(world.oscar).post(
        reverse("security_member_mfa_reset", args=[world.other_org.slug, membership.pk])
    )
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=world.carol).exists()


def test_demo_mfa_is_idempotent_and_returns_the_fixed_secret(world):
    first = ensure_demo_mfa(world.alice)
    second = ensure_demo_mfa(world.alice)
    assert first == second == mfa.demo_secret()
    assert TOTPDevice.objects.filter(user=world.alice, confirmed=True).count() == 1
    assert mfa.totp_matches(first, mfa.current_code(first)) is not None


def test_demo_totp_prints_the_current_code_only_with_debug(world, settings):
    from io import StringIO

    from django.core.management import CommandError, call_command

    secret = ensure_demo_mfa(world.alice)
    settings.DEBUG = False
    settings.PORTALGOV_DEMO_COMMANDS_ALLOWED = False  # the test settings allow demo commands; production does not
    with pytest.raises(CommandError):
        call_command("demo_totp", world.alice.email)
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_totp", world.alice.email, stdout=out)
    assert mfa.totp_matches(secret, out.getvalue().strip()) is not None
    assert AuditEvent.objects.filter(action="security.field_revealed", object_id=str(world.alice.pk)).exists()


def test_signing_in_again_over_a_verified_session_needs_a_new_code(world, client, password_login):
    from security.testing import mark_session_mfa_verified

    ensure_demo_mfa(world.alice)
    password_login(world.alice)
    mark_session_mfa_verified(client, world.alice)
    assert client.get(reverse("dashboard", args=[world.org.slug])).status_code == 200
    # Sign in again through the form (e.g. as someone else, or after a password prompt).
    from django.contrib.auth import login
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    login(request, world.alice, backend="django.contrib.auth.backends.ModelBackend")
    request.session.save()
    assert "_portalgov_mfa_verified" not in request.session


def test_a_login_without_mfa_costs_no_queries_per_request_once_checked(world, client, password_login,
                                                                       django_assert_num_queries):
    from accounts.middleware import MFARequiredMiddleware

    password_login(world.dave)
    client.get(reverse("home"))  # first request: checked and remembered for a minute
    request = client.get(reverse("home")).wsgi_request
    with django_assert_num_queries(0):
        assert MFARequiredMiddleware(lambda r: None).process_view(request, None, (), {}) is None


def test_a_policy_change_reaches_a_signed_in_login_within_a_minute(world, client, password_login):
    dashboard = reverse("dashboard", args=[world.org.slug])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        password_login(world.dave)
        assert client.get(dashboard).status_code == 200
        world.org.mfa_required_for_all = True
        world.org.save()
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert client.get(dashboard)["Location"].startswith(reverse("mfa_enroll"))
