"""Screenshots of each role's dashboard from the demo data, at 1366 and 390 px wide, for docs/screenshots/.

Regenerate with `scripts/screenshots` (it sets PORTALGOV_SCREENSHOTS=1; without it this test is skipped,
so the ordinary suite never rewrites the PNGs). The practice is seen four days after the demo was seeded, as a
person would find it on an ordinary morning: the clock-driven items (tasks past their due date, ages) show."""

import datetime
import os
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import User
from core.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ROLES = [("administrator", "admin@demo.portalgov.test"), ("billing-manager", "billing@demo.portalgov.test"),
         ("auditor", "auditor@demo.portalgov.test"), ("staff", "staff@demo.portalgov.test")]
WIDTHS = [(1366, 900), (390, 844)]


@pytest.mark.skipif(os.environ.get("PORTALGOV_SCREENSHOTS") != "1", reason="run scripts/screenshots to regenerate")
def test_dashboard_screenshots(live_server, _chromium, sign_in, capsys):
    call_command("seed_demo")
    capsys.readouterr()  # the demo's login table is not test output
    OUT.mkdir(parents=True, exist_ok=True)
    later = datetime.datetime.now(datetime.UTC).replace(hour=14, minute=20) + datetime.timedelta(days=4)
    with time_machine.travel(later, tick=True):
        _shoot(live_server, _chromium, sign_in)
    assert sorted(p.name for p in OUT.glob("dashboard-*.png")) == sorted(
        f"dashboard-{role}-{w}.png" for role, _ in ROLES for w, _ in WIDTHS)


def _shoot(live_server, _chromium, sign_in):
    for role, email in ROLES:
        user = User.objects.get(email=email)
        for width, height in WIDTHS:
            context = _chromium.new_context(viewport={"width": width, "height": height},
                                            device_scale_factor=1, is_mobile=width < 600, has_touch=width < 600)
            page = context.new_page()
            sign_in(page, live_server, user, password=DEMO_PASSWORD)
            page.goto(f"{live_server.url}/o/cascade-family/")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"dashboard-{role}-{width}.png"), full_page=True)
            context.close()
