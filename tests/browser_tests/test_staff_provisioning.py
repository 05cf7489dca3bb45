"""End to end in a real browser: an administrator provisions a new hire through the wizard, the
portal administrator records the work from their queue, and the accounts show as active."""

import re

import pytest
from playwright.sync_api import expect

from access.models import PortalAccount
from staff.models import JobRole

from ..staff.factories import make_enrollment, make_portal, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FUNCTIONS = {"eligibility_benefits": "Eligibility & benefits", "claim_status": "Claim status",
             "remittance_era": "Remittance / ERA"}


def test_an_administrator_provisions_a_new_hire_end_to_end(world, live_server, page, sign_in):
    maria = make_staff(world.org, "Maria Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    make_enrollment(world.org, make_portal("Availity Essentials", list(FUNCTIONS)), admin=maria)
    make_enrollment(world.org, make_portal("Noridian Medicare Portal", list(FUNCTIONS)), admin=maria)

    sign_in(page, live_server, world.alice)
    page.goto(f"{live_server.url}/o/cascade/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Provision a new hire").click()

    page.get_by_label("Full name").fill("Tom Reed")
    page.get_by_label("Work e-mail").fill("tom.reed@cascade.example")
    page.get_by_label("Job role").select_option(label="Front desk")
    page.get_by_label("Start date").fill("2026-12-01")
    page.get_by_role("button", name="Add and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Proposed portal accounts for Tom Reed")
    expect(page.get_by_text("Beyond policy").first).to_be_visible()  # ERA is not front-desk work
    page.get_by_role("button", name="Create provisioning tasks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tom Reed")
    expect(page.get_by_text("2 provisioning tasks created")).to_be_visible()

    for n in range(2):
        page.get_by_role("navigation", name="Main").locator("summary", has_text="Access").click()
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
        page.get_by_role("link", name="Record as done").first.click()
        page.get_by_label("Portal user ID").fill(f"treed{n}")
        page.get_by_label("Password-manager reference").fill("op://Front desk/Tom Reed")
        page.get_by_label("MFA enrolled").check()
        page.get_by_label("Payer-side confirmation").fill(f"Ticket 55{n}")
        page.get_by_role("button", name="Record as done").click()
        expect(page.get_by_text(re.compile("Recorded with the payer's confirmation"))).to_be_visible()
    expect(page.get_by_text("No tasks.")).to_be_visible()

    page.get_by_role("navigation", name="Main").locator("summary", has_text="Access").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Access matrix").click()
    row = page.get_by_role("row", name=re.compile("Tom Reed"))
    expect(row).to_contain_text("treed0")
    expect(row).to_contain_text("treed1")
    assert set(PortalAccount.objects.filter(staff_member__full_name="Tom Reed").values_list("status", flat=True)) == {
        "active"}
