"""A real browser: an administrator enrols in MFA, signs out, and signs in again with a code."""

import re
import time

import pytest
from playwright.sync_api import expect

from accounts import mfa
from accounts.models import TOTPDevice
from audits.models import AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_unused_code(user, secret):
    """The authenticator's code, one step ahead if this step's code was already used (replay guard)."""
    now = time.time()
    step = int(now // 30)
    last = TOTPDevice.objects.get(user=user, confirmed=True).last_t
    return mfa.current_code(secret, at=now + 30 if last >= step else now)


def test_an_administrator_enrols_in_mfa_and_signs_in_with_a_code(world, live_server, page, sign_in):
    csp_errors = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)

    # Password first: an administrator without MFA is sent straight to enrolment.
    sign_in(page, live_server, world.alice, mfa=False)
    expect(page).to_have_url(re.compile(r"/accounts/mfa/enroll/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up multi-factor sign-in")
    expect(page.get_by_alt_text("QR code for your authenticator app")).to_be_visible()
    # Nothing else opens meanwhile.
    page.goto(f"{live_server.url}/o/cascade/")
    expect(page).to_have_url(re.compile(r"/accounts/mfa/enroll/"))

    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.get_by_label("6-digit code", exact=False).fill("000000")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not valid")
    time.sleep(1.2)  # the back-off after a wrong code
    page.get_by_label("6-digit code", exact=False).fill(mfa.current_code(secret))
    page.get_by_role("button", name="Turn on").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name=re.compile("I saved them")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cascade Family Medicine, PLLC")

    # Sign out, then in again: password, then a code from the authenticator.
    page.locator("summary", has_text="Alice Admin").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, world.alice, mfa=False)
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    page.get_by_label("6-digit code", exact=False).fill(next_unused_code(world.alice, secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cascade Family Medicine, PLLC")

    actions = set(AuditEvent.objects.filter(object_id=str(world.alice.pk)).values_list("action", flat=True))
    assert {"mfa.enrolled", "mfa.verified", "mfa.enrolment_code_rejected", "mfa.recovery_codes_generated"} <= actions
    assert csp_errors == [], csp_errors
