"""In a real browser: an administrator records contracts, the directory follows from them, and
the filters, portal detail, gaps and downtime binder pages read right."""

import re

import pytest
from playwright.sync_api import expect

from carriers.services import load_reference_directory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_builds_the_portal_directory(world, live_server, page, sign_in):
    load_reference_directory()
    sign_in(page, live_server, world.alice)
    page.goto(f"{live_server.url}/o/cascade/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Portal directory").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Portal directory")
    expect(page.locator("#directory-count")).to_have_text("0 of 0 portals.")

    page.get_by_role("link", name="Contracts").first.click()
    # bad input first: an end date before the start is refused on the field, nothing saved
    page.get_by_label("Carrier").select_option(label="Aetna")
    page.get_by_label("Line of business").select_option("commercial")
    page.get_by_label("Effective date").fill("2025-01-01")
    page.get_by_label("End date").fill("2024-01-01")
    page.get_by_role("button", name="Add contract").click()
    expect(page.get_by_role("alert").filter(has_text="before the effective date")).to_be_visible()
    expect(page.get_by_text("No contracts yet.")).to_be_visible()

    page.get_by_label("End date").fill("")
    page.get_by_role("button", name="Add contract").click()
    expect(page.get_by_text("Contract with Aetna added.")).to_be_visible()
    page.get_by_label("Carrier").select_option(label="Medicare Part A/B (fee-for-service)")
    page.get_by_label("Line of business").select_option("medicare")
    page.get_by_label("Effective date").fill("2024-01-01")
    page.get_by_role("button", name="Add contract").click()
    expect(page.get_by_role("cell", name="Medicare Part A/B (fee-for-service)")).to_be_visible()

    page.get_by_role("link", name="Portal directory").last.click()
    expect(page.locator("#directory-count")).to_have_text("2 of 2 portals.")
    availity_row = page.get_by_role("row").filter(has_text="Availity Essentials")
    link = availity_row.get_by_role("link", name=re.compile("Open portal"))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("href", "https://www.availity.com")
    expect(page.get_by_role("row").filter(has_text="Noridian")).to_contain_text("WA → JF")

    page.get_by_label("Kind of portal").select_option("mac")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#directory-count")).to_have_text("1 of 2 portals.")
    expect(page.get_by_role("row").filter(has_text="Availity Essentials")).to_have_count(0)
    page.get_by_label("Search").fill("aetna")
    page.get_by_label("Kind of portal").select_option("")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#directory-count")).to_have_text("1 of 2 portals.")

    page.get_by_role("link", name="Availity Essentials", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Availity Essentials")
    expect(page.get_by_role("cell", name="Expires every 60 days (prompt 5 days before)")).to_be_visible()
    page.get_by_label("TIN used").fill("91-4567812")  # the factory's TIN need not have a valid IRS prefix
    page.get_by_label("Status").select_option("registered")
    page.get_by_label("Registered on").fill("2025-02-01")
    page.get_by_role("button", name="Save enrollment").click()
    expect(page.get_by_text("Enrollment on Availity Essentials")).to_be_visible()

    page.get_by_role("link", name="Gaps").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"Contracts with no registered portal \(1\)"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"fewer than 2 active administrators \(1\)"))).to_be_visible()

    page.get_by_role("link", name="Downtime binder").first.click()
    expect(page.get_by_role("heading", name="Availity Essentials")).to_be_visible()
    expect(page.get_by_role("heading", name="Noridian Medicare Portal (NMP)")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()


def test_a_billing_manager_reads_but_cannot_edit(world, live_server, page, sign_in):
    load_reference_directory()
    sign_in(page, live_server, world.bob)
    page.goto(f"{live_server.url}/o/cascade/directory/contracts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contracts")
    expect(page.get_by_role("button", name="Add contract")).to_have_count(0)
