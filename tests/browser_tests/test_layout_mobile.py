"""Layout in the browser: at 390 px the navigation folds behind a real Menu button that works by mouse and keyboard,
and no page scrolls sideways (wide tables scroll in their own box, first column kept in view); at 1366 px the
navigation and the practice and user switchers fit on one row, and the current page is marked."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from access.models import ProvisioningTask
from accounts.services import membership_grant
from findings.models import Finding

from ..reviews.factories import make_account, make_enrollment, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLE_PAGES = ["roster", "matrix", "tasks", "findings", "audit_log", "directory", "offboarding_cases",
               "training_modules", "members", "reconciliation"]


@pytest.fixture
def wide_practice(world):
    """Enough rows, long names and many functions that every table is wider than a phone."""
    org = world.org
    membership_grant(organization=world.other_org, user=world.alice, role="auditor")  # two practices: a switcher
    admin = make_staff(org, "Alice Admin-Longfellow", user=world.alice)
    enrollment = make_enrollment(org, "Noridian Medicare Portal (NMP) for Jurisdiction F", admin=admin)
    for i in range(4):
        person = make_staff(org, f"Bartholomew Featherstonehaugh-Cholmondeley {i}")
        account = make_account(person, enrollment, ("eligibility_benefits", "claim_status", "remittance_era",
                                                    "prior_authorization"))
        ProvisioningTask.objects.create(organization=org, kind=ProvisioningTask.Kind.DEACTIVATE,
                                        portal_account=account, assignee=admin,
                                        due_on=timezone.localdate() + datetime.timedelta(days=2))
        Finding.objects.create(organization=org, rule="shared_credential", severity="critical", severity_rank=0,
                               key=f"wide{i}", title=f"User ID 'user{i}' on the Noridian Medicare Portal is shared",
                               first_seen=timezone.now(), last_seen=timezone.now(), portal_account=account)
    return org


def phone(_chromium):
    return _chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


def test_menu_button_opens_and_closes_the_navigation_by_mouse_and_keyboard(wide_practice, world, live_server,
                                                                           _chromium, sign_in):
    context = phone(_chromium)
    page = context.new_page()
    sign_in(page, live_server, world.alice)
    page.goto(f"{live_server.url}{reverse('dashboard', args=[world.org.slug])}")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    assert page.locator(f"#{menu.get_attribute('aria-controls')}").count() == 1
    expect(nav).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Staff")).to_be_visible()
    expect(page.locator("summary", has_text="Alice Admin")).to_be_visible()  # the switchers fold in too
    # Touch screens: controls at least 44 px high.
    for control in (menu, nav.get_by_role("link", name="Staff"), nav.locator("summary", has_text="Access")):
        assert control.bounding_box()["height"] >= 44, control
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()

    # Keyboard: Enter opens, Escape closes and gives focus back to the button, Space toggles.
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    page.keyboard.press("Space")
    expect(menu).to_have_attribute("aria-expanded", "true")

    # The open menu leads somewhere: follow a link inside a group.
    nav.locator("summary", has_text="Access").click()
    nav.get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Provisioning tasks")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    context.close()


def test_no_table_page_scrolls_sideways_at_390px(wide_practice, world, live_server, _chromium, sign_in):
    context = phone(_chromium)
    page = context.new_page()
    sign_in(page, live_server, world.alice)
    too_wide = []
    for name in TABLE_PAGES:
        page.goto(f"{live_server.url}{reverse(name, args=[world.org.slug])}")
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            too_wide.append(f"{name}: {widths[0]} px in a {widths[1]} px window")
        header = page.locator(".topbar").bounding_box()
        assert header["x"] == 0 and header["width"] == widths[1], f"{name}: header does not span the width"
    assert not too_wide, too_wide

    # The wide roster scrolls inside its own focusable box, keeping the name column in view.
    page.goto(f"{live_server.url}{reverse('roster', args=[world.org.slug])}")
    box = page.locator(".table-scroll").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth"), "the roster should be wider than the phone"
    assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
    first_cell = box.locator("tbody tr").first.locator("td, th").first
    assert first_cell.evaluate("c => getComputedStyle(c).position") == "sticky"
    x_before = first_cell.bounding_box()["x"]
    box.evaluate("b => { b.scrollLeft = 300; }")
    assert abs(first_cell.bounding_box()["x"] - x_before) < 1  # it stays put while the rest scrolls
    context.close()


def test_at_1366px_navigation_and_switchers_fit_on_one_row_and_the_current_page_is_marked(
        wide_practice, world, live_server, page, sign_in):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, world.alice)
    page.goto(f"{live_server.url}{reverse('matrix', args=[world.org.slug])}")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    first_item = nav.get_by_role("link", name="Dashboard").bounding_box()
    for switcher in ("Cascade Family Medicine", "Alice Admin"):
        box = page.locator("summary", has_text=switcher).bounding_box()
        assert abs(box["y"] + box["height"] / 2 - (first_item["y"] + first_item["height"] / 2)) < 4, switcher
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    # The page is marked, and so is the group that holds it.
    nav.locator("summary", has_text="Access").click()
    expect(nav.get_by_role("link", name="Access matrix")).to_have_attribute("aria-current", "page")
    assert nav.locator("a[aria-current]").count() == 1
    page.goto(f"{live_server.url}{reverse('dashboard', args=[world.org.slug])}")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
