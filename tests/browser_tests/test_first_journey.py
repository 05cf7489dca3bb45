import re

import pytest
from playwright.sync_api import expect

from accounts.services import membership_grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_switch_organization_see_dashboard_sign_out(world, live_server, page, sign_in):
    membership_grant(organization=world.other_org, user=world.alice, role="auditor")

    sign_in(page, live_server, world.alice)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose an organization")
    page.get_by_role("link", name=re.compile("Cascade Family Medicine")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cascade Family Medicine, PLLC")
    expect(page.locator(".stat").first).to_be_visible()

    page.locator("summary", has_text="Cascade Family Medicine").click()
    page.get_by_role("link", name=re.compile("Other Practice, LLC")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Other Practice, LLC")
    expect(page).to_have_url(re.compile(r"/o/other/$"))

    page.locator("summary", has_text="Alice Admin").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed out")
    page.goto(f"{live_server.url}/o/cascade/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
