"""The idle warning in a real browser: it appears before the sign-out, "Stay signed in" keeps the
session, and without an answer the server's sign-out sends the page to sign-in."""

import re

import pytest
from playwright.sync_api import expect

from audits.models import AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_idle_warning_keeps_or_ends_the_session(world, live_server, page, sign_in, settings):
    settings.IDLE_TIMEOUT_SECONDS = 8
    settings.IDLE_WARNING_SECONDS = 5
    sign_in(page, live_server, world.bob)
    expect(page.get_by_role("heading", level=1)).to_have_text("Cascade Family Medicine, PLLC")

    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible(timeout=8_000)
    expect(dialog).to_contain_text("Signing out in")
    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()

    # No answer this time: the page follows the server's sign-out to the sign-in page.
    expect(page).to_have_url(re.compile(r"/accounts/login/"), timeout=20_000)
    assert AuditEvent.objects.filter(action="auth.idle_logout", actor_label=world.bob.email).exists()
