"""A leaver in a real browser: an administrator records the departure, sees the one-hour clock,
names a successor for the portal the leaver administered, records each deactivation with the
portal's confirmation, and the checklist finishes with no open findings."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from access.services import portal_account_create
from findings.models import Finding
from offboarding.models import OffboardingCase
from staff.models import JobRole
from tests.staff.factories import make_enrollment, make_portal, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_offboards_a_leaving_portal_administrator(world, live_server, page, sign_in):
    org = world.org
    alice = make_staff(org, "Alice Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    maria = make_staff(org, "Maria Leaving", job_role=JobRole.PRACTICE_MANAGER)
    tom = make_staff(org, "Tom Front", job_role=JobRole.FRONT_DESK)
    mycgs = make_enrollment(org, make_portal("myCGS"), admin=maria)
    availity = make_enrollment(org, make_portal("Availity Essentials"), admin=alice)
    for who, enr, uid in [(maria, mycgs, "mleaving"), (maria, availity, "mleaving-av"), (tom, mycgs, "tfront")]:
        portal_account_create(staff_member=who, enrollment=enr, acting_user=world.alice, portal_user_id=uid,
                              status="active", functions=["eligibility_benefits"], mfa_enrolled=True,
                              last_login_attested=timezone.localdate())

    sign_in(page, live_server, world.alice)
    page.goto(f"{live_server.url}/o/cascade/")
    page.get_by_role("navigation", name="Main").locator("summary", has_text="Access").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Offboarding").click()
    page.get_by_role("link", name="Record a leaver or a leave").click()
    page.get_by_label("Person").select_option(label="Maria Leaving")
    page.get_by_role("button", name="Record").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Offboarding checklist: Maria Leaving")
    expect(page.locator("#offboarding-clock")).to_have_text(re.compile(r"(59|60) min left"))
    expect(page.get_by_text("Appoint a successor first.")).to_be_visible()
    expect(page.get_by_text("Dependent accounts: Tom Front (tfront)")).to_be_visible()
    expect(page.get_by_text("Held: successor first")).to_be_visible()

    page.get_by_label("Successor (new primary administrator)").select_option(label="Alice Admin")
    page.get_by_role("button", name="Record successor").click()
    expect(page.get_by_text("is now the primary administrator")).to_be_visible()
    expect(page.get_by_text("Held: successor first")).to_have_count(0)

    for n in range(2):
        page.get_by_label("Portal confirmation").first.fill(f"CONF-{n}")
        page.get_by_role("button", name="Record as done").first.click()
        expect(page.get_by_text("recorded as done")).to_be_visible()
    expect(page.get_by_text(re.compile("Finished .* before the deadline"))).to_be_visible()
    expect(page.get_by_text("CONF-0")).to_be_visible()
    case = OffboardingCase.objects.get(staff_member=maria)
    assert case.completed_at is not None
    assert not Finding.objects.filter(organization=org, resolved_at__isnull=True).exists()
