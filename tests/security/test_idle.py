"""Idle sign-out after IDLE_TIMEOUT_SECONDS, enforced by the server; the page carries the warning script."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditEvent


def test_a_session_idle_past_the_limit_is_signed_out_and_audited(world, client_for, settings):
    settings.IDLE_TIMEOUT_SECONDS = 15 * 60
    client = client_for(world.bob)
    url = reverse("dashboard", args=[world.org.slug])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(url).status_code == 200  # activity restarts the clock
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(start + timedelta(minutes=44), tick=False):
        response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    event = AuditEvent.objects.get(action="auth.idle_logout")
    assert event.actor_label == world.bob.email
    assert event.changes["limit_seconds"] == 900
    assert "_auth_user_id" not in client.session
    # Signed out for good: the next request is anonymous too.
    assert client.get(url)["Location"].startswith(reverse("login"))


def test_the_timeout_is_configurable(world, client_for, settings):
    settings.IDLE_TIMEOUT_SECONDS = 60
    client = client_for(world.bob)
    url = reverse("dashboard", args=[world.org.slug])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(url)
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert client.get(url).status_code == 302


def test_the_status_poll_does_not_keep_the_session_alive_but_keepalive_does(world, client_for):
    client = client_for(world.bob)
    url = reverse("dashboard", args=[world.org.slug])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(url)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        status = client.get(reverse("session_status")).json()
        assert status["signed_in"] and 250 <= status["remaining"] <= 300
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.post(reverse("session_keepalive")).json()["remaining"] == 900
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        client.get(reverse("session_status"))
    with time_machine.travel(start + timedelta(minutes=44), tick=False):
        assert client.get(url).status_code == 302


def test_an_idle_api_call_gets_401_json(world, client_for):
    client = client_for(world.bob)
    url = reverse("api-organization", args=[world.org.slug])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        response = client.get(url)
    assert response.status_code == 401
    assert response.json()["idle_logout"] is True


@pytest.mark.parametrize("page", ["dashboard"])
def test_pages_carry_the_idle_warning_script_and_its_settings(world, client_for, page):
    html = client_for(world.bob).get(reverse(page, args=[world.org.slug])).content.decode()
    assert 'src="/static/js/idle.js"' in html
    assert 'name="idle-timeout" content="900"' in html
