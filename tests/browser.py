"""Browser-test harness: Playwright for Python driving Debian's chromium against pytest-django's live_server.

Fixtures: `page` (a fresh browser page; a screenshot is kept under test-artifacts/ when the test fails) and
`sign_in(page, live_server, user)`. Tests using them are marked @pytest.mark.browser.
"""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def _chromium():
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"browser test in CI but {CHROMIUM} is missing (apt-get install chromium)", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the same test are still
    # synchronous and safe, so lift the async-safety guard for browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(request, _chromium):
    context = _chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def sign_in():
    """sign_in(page, live_server, user, password=...) signs in through the real login form."""
    from tests.conftest import PASSWORD

    def _sign_in(page, live_server, user, password=PASSWORD, mfa=True):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password", exact=False).fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        if mfa:  # administrators and auditors must pass MFA (security.testing gives them an authenticator)
            from security.testing import browser_pass_mfa

            browser_pass_mfa(page, user)
        return page

    return _sign_in
