"""The crawler: every page, for every role, in both demo practices, answers without a server error.

Builds the demo with seed_demo, signs each role in through the real login form and second factor, then
requests (1) every page reachable by following links from the dashboard (the navigation and every link on
every page it reaches, filters and pagination included), (2) every URL pattern of the resolver with the
practice's real object ids, and, in the first practice (the same parsing code serves both), (3) the same
patterns with ids that do not exist and (4) every page again with garbage in its filter fields and query
string. Any 5xx or traceback fails with the URL and the role; each page's query count is recorded and fails
above its budget (QUERY_BUDGET). The logins and the ids come from tests/core/demo_logins.py (shared with the
form-post test).

A route the ids table (demo_logins.route_values) does not know (no ids for its kwargs, no listed exclusion)
fails the test, so a new page cannot be missed.
"""

import functools
import re
import time
from collections import defaultdict
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.urls.exceptions import Resolver404

from tests.core.demo_logins import PRACTICES, ROLES, route_values, sign_in, users_by_role
from tests.security.routes import all_routes

# Routes not requested, each with its reason. Only pages whose GET has a side effect outside the request, or
# that are not pages of this product.
EXCLUDED = {
    "logout": "signs the crawler out (Django's LogoutView; GET is refused anyway)",
    "admin:logout": "signs the crawler out",
    "session_keepalive": "extends the session (JSON ping, not a page)",
}
# The Django admin: its changelists and add pages are crawled; the generic catch-all and per-object views
# are filled from the first object of each model (see _admin_values).
ADMIN_PREFIX = "admin:"

# Query budget per page (url name -> most queries one GET may run). Pages not listed get DEFAULT_BUDGET.
# A page above its budget fails: a list without select_related grows with the data.
DEFAULT_BUDGET = 30
QUERY_BUDGET = {
    "dashboard": 45,
    "audit_log": 30,
    "reviews_campaign": 30,
    "reviews_queue": 30,
    "reviews_evidence": 30,
    "staff_detail": 35,
    "provision_plan": 40,
    "offboarding_case": 35,
    "directory": 35,
    "directory_portal": 30,
    "directory_binder": 35,
    "matrix": 30,
    "admin": 40,  # every Django admin page (fix-ups only)
}

GARBAGE = ["zz-not-a-value", "-1", "99999999999999999999999", "2026-13-45", "'\"<b>x</b>", "%ff%fe", " ", "1.5",
           "0", "x" * 300, "__all__", "null", "ü∑"]
GENERIC_PARAMS = ["page", "q", "status", "role", "sort", "order", "action", "actor", "since", "until", "date_from",
                  "date_to", "portal", "function", "severity", "kind", "campaign", "reviewer", "staff", "state",
                  "next", "tab", "format", "show", "carrier", "enrollment", "object_type", "object_pk"]


class _Links(HTMLParser):
    """Collects hrefs of links and the names of fields in GET forms (the page's filters)."""

    def __init__(self):
        super().__init__()
        self.links, self.filter_fields, self.post_forms = [], set(), 0
        self._in_get_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._in_get_form = (a.get("method") or "get").lower() == "get"
            self.post_forms += not self._in_get_form
        elif tag in ("input", "select", "textarea") and self._in_get_form and a.get("name"):
            self.filter_fields.add(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


def _admin_values(name):
    """The Django admin's per-object pages: the first object of the model the url name is about."""
    from django.apps import apps

    if re.match(r"admin:\w+_(add|delete|history)$", name) or name in (
            "admin:view_on_site", "admin:autocomplete", "admin:jsi18n"):
        return []  # Django's own pages; the changelists and change pages show the models are registered soundly
    if name.endswith("_changelist") or name in ("admin:index", "admin:login", "admin:password_change"):
        return [{}]
    m = re.match(r"admin:(\w+?)_(\w+)_(change)$", name)
    if not m:
        return None
    model = next((mdl for mdl in apps.get_models() if mdl._meta.app_label == m.group(1)
                  and mdl._meta.model_name == m.group(2)), None)
    if model is None:
        return None
    pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return [{"object_id": pk}] if pk is not None else []


class Crawl:
    def __init__(self):
        self.errors = []  # (role, practice, url, status, why)
        self.queries = defaultdict(int)  # url name -> most queries seen
        self.over_budget = []
        self.requests = 0
        self.pages = set()  # (role, practice, url name) answered
        self.status = {}  # (role, practice, url) -> status code

    def get(self, client, url, role, practice, note=""):
        key = (role, practice, url)
        if key in self.status:  # already requested (a link and a route are often the same url)
            return SimpleNamespace(status_code=self.status[key], cached=True)
        with CaptureQueriesContext(connection) as ctx:
            try:
                response = client.get(url)
            except Exception as exc:  # the test client re-raises a view's exception
                self.errors.append((role, practice, url, "exception", f"{type(exc).__name__}: {exc}"[:300]))
                return None
        self.requests += 1
        self.status[key] = response.status_code
        body = response.content[:200_000] if not getattr(response, "streaming", False) else b""
        if response.status_code >= 500 or b"Traceback (most recent call last)" in body:
            self.errors.append((role, practice, url, response.status_code, note))
        name = _url_name(url)
        if name:
            self.pages.add((role, practice, name))
            budget = QUERY_BUDGET.get("admin" if name.startswith(ADMIN_PREFIX) else name, DEFAULT_BUDGET)
            self.queries[name] = max(self.queries[name], len(ctx))
            if len(ctx) > budget and response.status_code == 200:
                self.over_budget.append((role, practice, url, len(ctx), budget))
        return response


@functools.cache  # the same links are resolved again and again while the queue is walked
def _url_name(url):
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name


def _html(response):
    return (response is not None and not getattr(response, "cached", False) and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and not getattr(response, "streaming", False))


PER_VIEW = 2  # links followed per view (the audit log links hundreds of events: two of them prove the page)


def _follow_links(crawl, client, role, practice, start, limit=400):
    """Breadth-first over every same-site link from `start`, up to PER_VIEW distinct urls of each view; returns
    the filter fields seen per url name."""
    queue, seen, fields, per_view = [start], set(), defaultdict(set), defaultdict(int)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        view = _url_name(url)
        per_view[view] += 1
        response = crawl.get(client, url, role, practice, note="linked")
        if not _html(response):
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        name = _url_name(url)
        if name:
            fields[name] |= parser.filter_fields
        for href in parser.links:
            full = urljoin(url, href)
            parts = urlsplit(full)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            view = _url_name(target)
            if view is None or view in EXCLUDED or view.startswith(ADMIN_PREFIX) or target in seen:
                continue
            if per_view[view] + sum(1 for q in queue if _url_name(q) == view) >= PER_VIEW:
                continue
            if parts.path.startswith("/o/") and not parts.path.startswith(f"/o/{practice}/"):
                continue  # the other practice is crawled with its own logins
            queue.append(target)
    return fields, seen


def _garbage_queries(fields):
    """Every filter field of the page (and the usual names) with garbage, then (pages with filters) every
    filter repeated with an empty and a second value, plus undecodable escapes."""
    names = sorted(set(fields) | set(GENERIC_PARAMS))
    yield "?" + urlencode({n: GARBAGE[i % len(GARBAGE)] for i, n in enumerate(names)})
    if fields:  # a page with filters: every filter repeated and empty
        yield "?" + urlencode([(n, v) for n in sorted(fields) for v in ("", "2")]) + "&%ZZ=%ZZ&=&&a"


@pytest.mark.real_mfa
def test_every_page_for_every_role_in_both_demo_practices(db, capsys):
    import logging

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # thousands of expected 403/404 lines
    logging.getLogger("django.security").setLevel(logging.CRITICAL)
    started = time.monotonic()
    with override_settings(PORTALGOV_DEMO_COMMANDS_ALLOWED=True):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from accounts.models import Organization

    crawl = Crawl()
    routes = [r for r in all_routes() if r.name not in EXCLUDED]
    # A route with ids must be in the table (or be the admin's): a new page cannot be missed.
    values_cascade = route_values(Organization.objects.get(slug=PRACTICES[0]))
    unknown = [r.label for r in routes if r.name and not r.name.startswith(ADMIN_PREFIX)
               and set(r.kwargs) - {"org_slug"} and r.name not in values_cascade]
    assert not unknown, f"routes with ids the crawler cannot fill (add them to route_values in tests/core/demo_logins.py): {unknown}"

    for practice in PRACTICES:
        org = Organization.objects.get(slug=practice)
        values = route_values(org)
        users = users_by_role(org)
        for role in ROLES:
            client = sign_in(users[role])
            start = f"/o/{practice}/" if role != "platform_operator" else "/"
            fields, linked = _follow_links(crawl, client, role, practice, start)
            for route in routes:
                if route.name is None:
                    continue  # the admin's unnamed redirects; their named twins are crawled
                if route.name.startswith(ADMIN_PREFIX):
                    if role != "platform_operator" or practice != PRACTICES[0]:
                        continue  # the admin is deployment-wide: crawled once, by the platform operator
                    fills = _admin_values(route.name)
                    if fills is None:
                        continue  # the admin's app index with its regex: crawled through admin:index links
                elif role == "platform_operator" and (route.is_org_route and route.name != "dashboard"):
                    continue  # no role in any practice: the dashboard's 403 stands for every page of one
                elif set(route.kwargs) - {"org_slug"}:
                    fills = values[route.name]
                else:
                    fills = [{}]
                first = None
                for fill in fills:
                    url = route.url({"org_slug": practice, **fill})
                    response = crawl.get(client, url, role, practice, note="real ids")
                    first = response if first is None else first
                    if _html(response):
                        fields[route.name] |= _Links_fields(response)
                if route.name.startswith(ADMIN_PREFIX) or first is None or first.status_code in (403, 405):
                    continue  # refused for this role (or POST only): bad input cannot reach the view
                if practice != PRACTICES[0]:
                    continue  # bad input is parsed by the same code in every practice: proved in the first
                if first.status_code < 400:
                    url = route.url({"org_slug": practice, **fills[0]})
                    for query in _garbage_queries(fields.get(route.name, ())):
                        crawl.get(client, url + query, role, practice, note="garbage query")
                if set(route.kwargs) - {"org_slug"}:  # ids that do not exist
                    crawl.get(client, route.url({"org_slug": practice}), role, practice, note="bogus ids")
            # Other practices' pages and an unknown practice: 403/404, never a 500.
            other = [p for p in PRACTICES if p != practice][0]
            crawl.get(client, f"/o/{other}/staff/", role, practice, note="other practice")
            crawl.get(client, "/o/no-such-practice/", role, practice, note="unknown practice")

    elapsed = time.monotonic() - started
    pages = {(r, p, n) for r, p, n in crawl.pages}
    per_role = defaultdict(set)
    for role, practice, name in pages:
        per_role[(practice, role)].add(name)
    with capsys.disabled():
        print(f"\ncrawler: {crawl.requests} requests, {len(pages)} page x role x practice combinations "
              f"({len({n for _, _, n in pages})} distinct pages; "
              + ", ".join(f"{p}/{r}: {len(n)}" for (p, r), n in sorted(per_role.items()))
              + f"), {len(crawl.errors)} server errors, {len(crawl.over_budget)} over query budget, {elapsed:.0f}s")
        heavy = sorted(crawl.queries.items(), key=lambda kv: -kv[1])[:12]
        print("most queries per page: " + ", ".join(f"{n} {q}" for n, q in heavy))
    assert not crawl.errors, "server errors:\n" + "\n".join(
        f"  {role} in {practice}: GET {url[:300]} -> {status} {why}" for role, practice, url, status, why in crawl.errors[:60])
    assert not crawl.over_budget, "over the query budget:\n" + "\n".join(
        f"  {role} in {practice}: GET {url} ran {n} queries (budget {b})" for role, practice, url, n, b
        in crawl.over_budget[:60])
    # Every role reached its pages (a broken sign-in would crawl nothing but redirects).
    for practice in PRACTICES:
        for role in ROLES[:4]:
            assert len(per_role[(practice, role)]) >= 5, (practice, role)


def _Links_fields(response):  # noqa: N802
    parser = _Links()
    parser.feed(response.content.decode())
    return parser.filter_fields
