"""Issue 13 in a real browser: a bulk keep that skips a flagged item (and says why, leaving it to be decided
on its own), and the leaver confirmation (what will happen, then confirm)."""

import re

import pytest
from playwright.sync_api import expect

from offboarding.models import OffboardingCase
from reviews.launch import campaign_launch
from reviews.models import ReviewItem
from staff.models import JobRole, StaffMember
from tests.reviews.factories import front_desk_team, make_account, make_enrollment, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_bulk_keep_skips_the_flagged_item_and_says_why(world, live_server, page, sign_in):
    org = world.org
    frank, gina = front_desk_team(world, "Frank Front", "Gina Front").accounts.values()
    campaign = campaign_launch(organization=org)
    gina_item = ReviewItem.objects.get(campaign=campaign, portal_account=gina)

    sign_in(page, live_server, world.bob)
    page.goto(f"{live_server.url}/o/cascade/reviews/mine/")
    page.get_by_role("button", name="Select all shown").click()
    page.get_by_label("Decision", exact=True).select_option("keep")
    page.get_by_label("One reason for all").fill("Front desk, checks eligibility daily")
    # Meanwhile Gina's user ID turns out to be shared: flagged, so no bulk decision may cover it.
    ReviewItem.objects.filter(pk=gina_item.pk).update(flags=["shared_user_id"], flagged=True)
    page.get_by_role("button", name="Record for selected").click()
    expect(page.get_by_text("1 item: keep recorded.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"1 flagged item was not decided in bulk.*Gina Front.*shared user id"))
           ).to_be_visible()
    assert ReviewItem.objects.get(portal_account=frank).decision == "keep"
    assert ReviewItem.objects.get(pk=gina_item.pk).decision == ""
    # The queue now says why Gina's item has no bulk checkbox.
    gina_card = page.locator(f"#item-{gina_item.pk}")
    expect(gina_card.get_by_text(re.compile(r"Decide on its own \(shared user id\)"))).to_be_visible()
    expect(gina_card.locator(".bulk-pick input")).to_have_count(0)
    # Then decided on its own, with its own reason.
    gina_card = page.locator(f"#item-{gina_item.pk}")
    gina_card.get_by_role("radio", name="Revoke").check()
    gina_card.get_by_label(re.compile("^Reason")).fill("Shares a login with Frank: each gets their own")
    gina_card.get_by_role("button", name="Record decision").click()
    # A revoke is final: first what it sets in motion, nothing recorded yet, then the confirmation.
    expect(gina_card.get_by_text(re.compile("moves to deactivation pending"))).to_be_visible()
    gina_item.refresh_from_db()
    assert gina_item.decision == ""
    gina_card.get_by_role("button", name="Yes, revoke").click()
    expect(gina_card.get_by_role("status")).to_contain_text("Revoke")
    gina_item.refresh_from_db()
    assert gina_item.decision == "revoke" and not gina_item.decided_in_bulk


def test_record_as_leaver_shows_what_will_happen_and_asks_to_confirm(world, live_server, page, sign_in):
    org = world.org
    admin_staff = make_staff(org, "Alice Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    enrollment = make_enrollment(org, "Availity Essentials", admin=admin_staff)
    tom = make_staff(org, "Tom Reed")
    make_account(tom, enrollment)

    sign_in(page, live_server, world.alice)
    page.goto(f"{live_server.url}/o/cascade/staff/{tom.pk}/")
    page.get_by_role("link", name="Record as leaver…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record Tom Reed as a leaver?")
    consequences = page.locator("#leaver-consequences")
    expect(consequences).to_contain_text("1 portal account moves to deactivation pending")
    expect(consequences).to_contain_text("Availity Essentials")
    expect(consequences).to_contain_text("deadline of 60 minutes")
    assert StaffMember.objects.get(pk=tom.pk).employment_status == "active"  # nothing yet
    # Cancel changes nothing; confirming records it.
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tom Reed")
    assert not OffboardingCase.objects.exists()
    page.get_by_role("link", name="Record as leaver…").click()
    page.get_by_role("button", name="Yes, record Tom Reed as a leaver").click()
    expect(page.get_by_text("recorded as a leaver", exact=False)).to_be_visible()
    assert StaffMember.objects.get(pk=tom.pk).employment_status == "terminated"
    assert OffboardingCase.objects.filter(staff_member=tom).count() == 1
