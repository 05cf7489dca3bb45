"""Accessibility scan: axe-core (vendored under tests/vendor/axe-core) over the main pages of each role on the demo
data, at desktop width and at 390 px. Any serious or critical violation fails the test, listing rule, page and
the elements it names."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from core.management.commands.seed_demo import DEMO_PASSWORD
from reviews.models import ReviewCampaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
ORG = "cascade-family"
BLOCKING = {"serious", "critical"}

# The main pages of each role (url name, whether it needs the open campaign's id).
PAGES = {
    "admin@demo.portalgov.test": ["dashboard", "roster", "matrix", "tasks", "reviews_queue", "reviews_campaign",
                                  "findings", "audit_log", "directory", "my_accounts", "my_training",
                                  "reconciliation", "compliance_trends"],
    "billing@demo.portalgov.test": ["dashboard", "roster", "matrix", "reviews_queue", "reviews_campaign",
                                    "findings", "directory", "my_accounts", "my_training"],
    "auditor@demo.portalgov.test": ["dashboard", "roster", "matrix", "reviews_history", "reviews_campaign",
                                    "findings", "audit_log", "directory", "my_accounts", "my_training",
                                    "compliance_trends"],
    "staff@demo.portalgov.test": ["dashboard", "directory", "my_accounts", "my_training"],
}


def axe_violations(page) -> list[dict]:
    """Run axe on the loaded page. Evaluated through the DevTools protocol, so the page's CSP (no inline
    script) does not block it and the application's own CSP stays as it is."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       targets: v.nodes.map(n => n.target.join(' '))}));
    }""")


def blocking(violations, where) -> list[str]:
    return [f"{v['impact']}: {v['id']} ({v['help']}) on {where}: {', '.join(v['targets'][:5])}"
            for v in violations if v["impact"] in BLOCKING]


def assert_sign_off_looks_disabled(page):
    """The demo campaign has undecided items: while blockers are listed the button must not look usable."""
    section = page.locator("section:has(#signoff-h)")
    assert section.locator("li").count() >= 1, "the demo campaign should list sign-off blockers"
    button = section.get_by_role("button", name="Sign off the campaign")
    assert button.get_attribute("aria-disabled") == "true"
    style = button.evaluate("b => { const s = getComputedStyle(b); return [s.cursor, s.borderStyle, s.color]; }")
    assert style[0] == "not-allowed" and style[1] == "dashed", style


def test_axe_finds_no_serious_or_critical_violation_on_any_roles_main_pages(live_server, _chromium, sign_in, capsys):
    call_command("seed_demo")
    capsys.readouterr()
    campaign = ReviewCampaign.objects.filter(organization__slug=ORG).order_by("-launched_at").first()
    problems, scanned = [], 0
    for email, names in PAGES.items():
        user = User.objects.get(email=email)
        # Every role at desktop width; at phone width the administrator's pages (the widest) and the staff's.
        for width in (1366, 390) if email.split("@")[0] in ("admin", "staff") else (1366,):
            context = _chromium.new_context(viewport={"width": width, "height": 900}, has_touch=width < 600)
            page = context.new_page()
            sign_in(page, live_server, user, password=DEMO_PASSWORD)
            for name in names:
                args = [ORG, campaign.pk] if name == "reviews_campaign" else [ORG]
                url = reverse(name, args=args)
                response = page.goto(f"{live_server.url}{url}")
                assert response.status == 200, f"{email} got {response.status} on {url}"
                if width < 600:  # the folded menu's contents are checked too
                    page.get_by_role("button", name="Menu").click()
                problems += blocking(axe_violations(page), f"{url} as {email} at {width} px")
                scanned += 1
                if name == "reviews_campaign" and email.startswith("admin@"):
                    assert_sign_off_looks_disabled(page)
            context.close()
    assert scanned == sum(len(v) * (2 if e.split("@")[0] in ("admin", "staff") else 1) for e, v in PAGES.items())
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)


def test_the_scan_fails_on_a_page_with_a_critical_violation(live_server, page):
    """The scan can fail: an unlabelled select and an image without alt text are reported as critical."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("""() => {
        const s = document.createElement('select'); s.innerHTML = '<option>Keep</option>';
        document.querySelector('main').appendChild(s);
        const i = document.createElement('img'); i.src = '/static/favicon.svg';
        document.querySelector('main').appendChild(i);
    }""")
    found = blocking(axe_violations(page), "the login page")
    assert any("select-name" in f for f in found), found
    assert any("image-alt" in f for f in found), found
