"""Lock-out after repeated failed sign-ins (django-axes), audited, and unlocked by an administrator."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from audits.models import AuditEvent
from tests.factories import member

pytestmark = pytest.mark.real_mfa


def fail(password_login, user, times):
    responses = [password_login(user, password="wrong password!") for _ in range(times)]
    return responses[-1]


def test_every_failed_sign_in_is_audited_without_the_password(world, password_login):
    fail(password_login, world.bob, 2)
    events = AuditEvent.objects.filter(action="auth.login_failed")
    assert events.count() == 2
    assert all(e.object_label == world.bob.email for e in events)
    assert not AuditEvent.objects.filter(changes__icontains="wrong password").exists()
    assert "wrong password" not in str(list(events.values()))


def test_the_limit_locks_the_login_even_with_the_right_password_and_it_is_audited(world, client, password_login):
    limit = settings.AXES_FAILURE_LIMIT
    fail(password_login, world.bob, limit - 1)
    last = password_login(world.bob, password="wrong again!")
    assert last.status_code == 429
    assert "Sign-in locked" in last.content.decode()
    locked = AuditEvent.objects.get(action="auth.locked_out")
    assert str(locked.object_id) == str(world.bob.pk)
    assert locked.organization_id == world.org.pk or locked.organization_id is None

    right = password_login(world.bob)  # correct password, still locked
    assert right.status_code == 429
    assert client.get(reverse("dashboard", args=[world.org.slug])).status_code == 302  # not signed in


def test_the_lock_counts_the_email_whatever_its_case(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": world.bob.email.upper(), "password": "nope nope nope"})
    response = client.post(reverse("login"), {"username": world.bob.email, "password": "correct horse battery staple"})
    assert response.status_code == 429


def test_other_logins_are_not_locked(world, password_login, client):
    fail(password_login, world.bob, settings.AXES_FAILURE_LIMIT)
    response = password_login(world.dave)
    assert response.status_code == 302
    assert client.get(reverse("dashboard", args=[world.org.slug])).status_code == 200


def test_an_administrator_sees_the_lock_and_unlocks_it_and_that_is_audited(world, password_login, client_for):
    fail(password_login, world.bob, settings.AXES_FAILURE_LIMIT)
    admin = client_for(world.alice)
    page = admin.get(reverse("security_overview", args=[world.org.slug]))
    assert page.status_code == 200
    assert "Locked out" in page.content.decode()
    membership = world.bob.memberships.get(organization=world.org)
    response = admin.post(reverse("security_member_unlock", args=[world.org.slug, membership.pk]))
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=world.bob.email).exists()
    event = AuditEvent.objects.get(action="auth.unlocked")
    assert event.actor_label == world.alice.email
    assert event.organization_id == world.org.pk
    assert str(event.object_id) == str(world.bob.pk)

    admin.logout()
    assert password_login(world.bob).status_code == 302  # signs in again


@pytest.fixture
def frank(world):
    """A staff member who is not one of the people trying to unlock (signing in resets one's own lock)."""
    return member(world.org, Role.STAFF, email="frank@cascade.example", full_name="Frank Front-desk")


@pytest.mark.parametrize("who", ["bob", "carol", "dave", "eve"])
def test_only_administrators_unlock(world, frank, password_login, client_for, who):
    fail(password_login, frank, settings.AXES_FAILURE_LIMIT)
    membership = frank.memberships.get(organization=world.org)
    response = client_for(getattr(world, who)).post(
        reverse("security_member_unlock", args=[world.org.slug, membership.pk])
    )
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(username=frank.email).exists()


def test_an_administrator_of_another_organization_cannot_unlock_our_members(world, frank, password_login, client_for):
    fail(password_login, frank, settings.AXES_FAILURE_LIMIT)
    membership = frank.memberships.get(organization=world.org)
    other = client_for(world.oscar)
    assert other.post(reverse("security_member_unlock", args=[world.org.slug, membership.pk])).status_code == 403
    assert other.post(reverse("security_member_unlock", args=[world.other_org.slug, membership.pk])).status_code == 404
    assert AccessAttempt.objects.filter(username=frank.email).exists()
    assert not AuditEvent.objects.filter(action="auth.unlocked").exists()


def _sign_in(client, user, password, address):
    return client.post(reverse("login"), {"username": user.email, "password": password}, REMOTE_ADDR=address)


def test_bad_passwords_from_one_address_do_not_lock_the_person_out_elsewhere(world, client):
    attacker, home = "203.0.113.66", "198.51.100.7"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, world.bob, "wrong password!", attacker)
    assert _sign_in(client, world.bob, "correct horse battery staple", attacker).status_code == 429
    locked = AuditEvent.objects.filter(action="auth.locked_out").first()
    assert locked.changes["ip_address"] == attacker

    response = _sign_in(client, world.bob, "correct horse battery staple", home)  # Bob, from the practice
    assert response.status_code == 302
    assert client.get(reverse("dashboard", args=[world.org.slug])).status_code == 200
    client.logout()
    # ...and the attacker's address is still locked out of Bob's login.
    assert _sign_in(client, world.bob, "correct horse battery staple", attacker).status_code == 429
    assert AccessAttempt.objects.filter(username=world.bob.email, ip_address=attacker).exists()


def test_the_unlock_page_clears_every_address_and_records_them(world, client, client_for):
    for address in ("203.0.113.1", "203.0.113.2"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _sign_in(client, world.bob, "wrong password!", address)
    membership = world.bob.memberships.get(organization=world.org)
    client_for(world.alice).post(reverse("security_member_unlock", args=[world.org.slug, membership.pk]))
    event = AuditEvent.objects.get(action="auth.unlocked")  # one event, not one per cleared record
    assert event.actor_label == world.alice.email
    assert event.changes["addresses"] == ["203.0.113.1", "203.0.113.2"]
    assert not AccessAttempt.objects.filter(username=world.bob.email).exists()


def test_an_unlock_outside_the_page_is_recorded_with_who_did_it(world, client):
    from axes.utils import reset
    from django.core.management import call_command

    from core.context import Actor, acting_as

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, world.bob, "wrong password!", "203.0.113.9")
    for _ in range(2):  # below the limit: not a lock, so clearing it is not an unlock
        _sign_in(client, world.dave, "wrong password!", "203.0.113.9")
    operator = Actor(kind="user", id="999", label="operator@portalgov.example")
    with acting_as(operator):  # as the Django admin's request would be
        reset(username=world.bob.email)
    event = AuditEvent.objects.get(action="auth.unlocked")
    assert event.actor_label == operator.label and str(event.object_id) == str(world.bob.pk)
    assert event.changes["ip_address"] == "203.0.113.9" and event.changes["cleared_by"] == "admin or command line"

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, world.carol, "wrong password!", "203.0.113.9")
    call_command("axes_reset_username", world.carol.email, world.dave.email)
    unlocks = AuditEvent.objects.filter(action="auth.unlocked").order_by("id")
    assert [e.object_label for e in unlocks] == [world.bob.email, world.carol.email]  # dave was never locked


def test_a_lock_that_runs_out_is_recorded_as_expired(world, client):
    import time_machine
    from django.utils import timezone

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, world.bob, "wrong password!", "203.0.113.9")
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert _sign_in(client, world.bob, "correct horse battery staple", "203.0.113.9").status_code == 302
    event = AuditEvent.objects.get(action="auth.lockout_expired")
    assert event.changes["cleared_by"] == "cool-off" and str(event.object_id) == str(world.bob.pk)
    assert not AuditEvent.objects.filter(action="auth.unlocked").exists()
