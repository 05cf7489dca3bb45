"""A billing manager's quarterly review, in a real browser: from the queue to sign-off."""

import re

import pytest
from playwright.sync_api import expect

from access.models import ProvisioningTask
from reviews.launch import campaign_launch
from reviews.models import ReviewCampaign, ReviewItem
from tests.reviews.factories import front_desk_team, make_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_billing_manager_reviews_from_the_queue_and_the_administrator_signs_off(world, live_server, page, sign_in):
    org = world.org
    team = front_desk_team(world, "Frank Front", "Gina Front", "Hank Front")
    frank, gina, hank = team.accounts.values()
    make_account(team.bob_staff, team.enrollment)  # Bob's own account: reviewed by Alice, never by Bob
    campaign = campaign_launch(organization=org)

    # Bob, the billing manager, opens his queue from the navigation.
    sign_in(page, live_server, world.bob)
    page.goto(f"{live_server.url}/o/cascade/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Access reviews").click()
    page.get_by_role("link", name=re.compile("My reviews")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My reviews")
    expect(page.locator(".review-item")).to_have_count(3)
    expect(page.get_by_text("Bob Billing on", exact=False)).to_have_count(0)

    # Keyboard: j to the first item (Frank), a = keep, type the reason, Enter records it in place.
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.keyboard.type("Front desk: checks eligibility every day")
    page.keyboard.press("Enter")
    frank_card = page.locator(f"#item-{ReviewItem.objects.get(portal_account=frank).pk}")
    expect(frank_card.get_by_role("status")).to_contain_text("Keep")

    # Gina: revoke without a reason is refused in place, then recorded with one.
    gina_card = page.locator(f"#item-{ReviewItem.objects.get(portal_account=gina).pk}")
    gina_card.get_by_role("radio", name="Revoke").check()
    gina_card.get_by_role("button", name="Record decision").click()
    expect(gina_card.get_by_role("alert").first).to_contain_text("A reason is required")
    gina_card.get_by_label(re.compile("^Reason")).fill("Moved to the clinic in October")
    gina_card.get_by_role("button", name="Record decision").click()
    expect(gina_card.get_by_text("The decision is final", exact=False)).to_be_visible()
    gina_card.get_by_role("button", name="Yes, revoke").click()
    expect(gina_card.get_by_role("status")).to_contain_text("sent to the portal administrator")

    # Hank: change, removing claim status.
    hank_card = page.locator(f"#item-{ReviewItem.objects.get(portal_account=hank).pk}")
    hank_card.get_by_role("radio", name="Change").check()
    hank_card.get_by_label("Claim status", exact=False).check()
    hank_card.get_by_label(re.compile("^Reason")).fill("Claim status moved to the billing desk")
    hank_card.get_by_role("button", name="Record decision").click()
    hank_card.get_by_role("button", name="Yes, change").click()
    expect(hank_card.get_by_role("status")).to_contain_text("remove Claim status")  # a name, never the code
    page.reload()
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()

    # Alice, the administrator: reviews Bob's account, records the portal work, signs off.
    page.context.clear_cookies()
    sign_in(page, live_server, world.alice)
    page.goto(f"{live_server.url}/o/cascade/reviews/mine/")
    bob_card = page.locator(".review-item", has_text="Bob Billing")
    bob_card.get_by_role("radio", name="Keep").check()
    bob_card.get_by_role("button", name="Record decision").click()
    expect(bob_card.get_by_role("status")).to_contain_text("Keep")

    page.goto(f"{live_server.url}/o/cascade/reviews/{campaign.pk}/")
    expect(page.get_by_text("4 of 4 decided (100%)", exact=False)).to_be_visible()
    expect(page.get_by_text("2 remediation tasks are not done yet.")).to_be_visible()
    for confirmation in ["Availity ref 1001", "Availity ref 1002"]:
        page.get_by_label("Payer-side confirmation").first.fill(confirmation)
        page.get_by_role("button", name="Mark done").first.click()
        expect(page.get_by_text("remediation recorded as done")).to_be_visible()
    page.get_by_label("Sign-off note").fill("Q4 review complete")
    expect(page.locator("#signoff-consequences")).to_contain_text("Signing off closes the campaign for good")
    page.get_by_label("I understand", exact=False).check()
    page.get_by_role("button", name="Sign off the campaign").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Signed off")

    campaign.refresh_from_db()
    assert campaign.status == ReviewCampaign.Status.CLOSED and campaign.signed_off_by == world.alice
    assert ProvisioningTask.objects.filter(status="done").count() == 2
    # The evidence page shows the whole story.
    page.get_by_role("link", name="Evidence (printable)").click()
    expect(page.get_by_text("Moved to the clinic in October")).to_be_visible()
    expect(page.get_by_text("Availity ref 1001", exact=False)).to_be_visible()
