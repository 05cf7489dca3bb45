"""In a real browser: an administrator uploads a portal's user list, maps its columns once, sees the
login the portal has and PortalGov does not, and resolves it in place."""

import re

import pytest
from playwright.sync_api import expect

from access.services import portal_account_create
from reconciliation.models import Difference

from ..staff.factories import make_enrollment, make_portal, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST = (b"User ID,Name,Status,Office\n"
        b"tom.reed,Tom Reed,Active,Front\n"
        b"ghost.login,Ghost Login,Active,Front\n")


def test_upload_a_user_list_and_resolve_a_difference(world, live_server, page, sign_in, tmp_path):
    enrollment = make_enrollment(world.org, make_portal("OneHealthPort"))
    tom = make_staff(world.org, "Tom Reed")
    make_staff(world.org, "Gina Host")
    portal_account_create(staff_member=tom, enrollment=enrollment, acting_user=world.alice,
                          functions=["eligibility_benefits"], portal_user_id="tom.reed", status="active")
    users = tmp_path / "onehealthport-users.csv"
    users.write_bytes(LIST)

    sign_in(page, live_server, world.alice)
    page.goto(f"{live_server.url}/o/{world.org.slug}/")
    page.get_by_role("navigation", name="Main").locator("summary", has_text="Access").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Portal user lists").click()
    page.get_by_role("row", name=re.compile("OneHealthPort")).get_by_role("link", name="Upload user list").click()
    page.get_by_label("User list (CSV or XLSX)").set_input_files(str(users))
    page.get_by_role("button", name="Compare").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Which column is which?")
    expect(page.get_by_label("Portal user ID")).to_have_value("User ID")  # guessed from the header
    page.get_by_label("Holder name").select_option("Name")
    page.get_by_label("Status", exact=True).select_option("Status")
    page.get_by_role("button", name="Save the columns and compare").click()

    expect(page.get_by_text(re.compile("Compared 2 users: 1 unknown to PortalGov"))).to_be_visible()
    row = page.get_by_role("row", name=re.compile("ghost.login"))
    expect(row).to_contain_text("On the portal, unknown to PortalGov")
    row.get_by_label("Action").select_option(label="Linked to a person")
    row.get_by_label("Person (to link)").select_option(label="Gina Host")
    row.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("ghost.login: linked to a person.")).to_be_visible()
    expect(page.get_by_text("No differences: the portal's list matches PortalGov.")).to_be_visible()
    diff = Difference.objects.get(portal_user_id="ghost.login")
    assert diff.resolution == "linked" and diff.portal_account.staff_member.full_name == "Gina Host"
