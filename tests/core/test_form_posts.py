"""Every form POST with garbage in it either works or is refused clearly: never a 500 (issue 13, "bad input").

The routes come from the URL resolver (tests.security.routes), as the crawler's do: a route takes POST when
its class has a post method or its view function's source (decorators included) reads POST. A view that
reads POST some other way is caught by test_every_post_form_on_a_page_targets_a_covered_route: every
<form method="post"> on every page of the practice must point at a covered route. A POST route that is not
fuzzed is in EXCLUDED with the reason; the routes that take no POST get one empty POST each.

For each POST route, as the administrator of the first demo practice (the admin's pages as a platform
operator who holds the admin's permissions; LOGIN_FOR names the few routes another login's page serves),
the test sends: a body without fields; each form found for the route (on its own
page or on any page that posts to it, parsed with html.parser) sent blank, then with every field the
person fills in set to each HOSTILE value (hidden fields and buttons kept, to reach the form's own
validation), then with every field, hidden ids included, hostile, then with every key repeated. Each answer
must be no 5xx, no traceback text, and one of: 200 showing an error, 302/303, 400, 403, 404, 405, 422 (JSON
answers: any success, or a refusal). A refused request (4xx, 200 with an error, a redirect carrying an error
message) must not have written an audit event of a business kind: the garbage changed nothing.

Every request runs in a savepoint rolled back after it, so each one meets the seeded demo as it was (an
accepted garbage body cannot break the next route); the demo is seeded once for the module, and the objects
it lacks for every form to show on a page are added once (_every_form_on_a_page).
"""

import functools
import inspect
import logging
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max
from django.template.base import Template
from django.test.utils import _TestState, override_settings
from django.urls import Resolver404, resolve

from tests.core.demo_logins import PRACTICES, route_values, sign_in, users_by_role
from tests.security.routes import all_routes

pytestmark = [pytest.mark.real_mfa]

PRACTICE = PRACTICES[0]

HOSTILE = {
    "nul": "a\x00b",
    "long": "x" * 10_000,
    "minus-one": "-1",
    "huge-int": "99999999999999999999",
    "sql": "'; DROP TABLE audits_auditevent; --",
    "formula": '=HYPERLINK("http://evil.example/","click")',
    "bad-date": "2026-13-45",
}
FAR_DATE = "9999-12-31"  # a valid date that date arithmetic cannot go past (one-at-a-time bodies)
# Sent with every field, hidden ids and buttons included, hostile: what an id or a choice must survive (a
# negative number, one above 64 bits, a string).
HOSTILE_IDS = ["minus-one", "huge-int", "sql"]  # (a NUL anywhere is refused before any view: see "nul")
REPEATED = ["", "-1", "x", "2026-13-45"]  # one key sent four times
# A body without a single field: a view's `Form(request.POST or None)` shows the form again, unbound, as a
# GET would (a browser always sends the form's fields, if only empty ones: that is "blank").
NO_FIELDS = "no fields"

# POST routes not fuzzed, with the reason.
EXCLUDED = {
    "logout": "signs the fuzzer out; Django's LogoutView reads no field",
    "admin:logout": "signs the fuzzer out",
    "login": "the sign-in form's garbage is tests/security/test_bad_input.py's and test_lockout.py's (bad "
             "sign-ins from one address lock it out, which would refuse the rest of this module)",
}
# POST routes whose form only another login's page shows (and that login sends them): route -> login.
LOGIN_FOR = {
    "jobs": "operating_administrator",  # schedules apply to every practice: a platform operator who is also
                                        # the practice's administrator (the demo's administrator is both)
    "my_training": "staff",  # one's own training: the administrator of the demo has no record to attest
    "practices_summary": "platform_operator",  # (no POST: the deployment-wide summary, the operator's page)
}
# POST routes with no HTML form anywhere, with the reason: they get the body without fields only.
NO_FORM = {
    "session_keepalive": "a JSON ping from the idle-warning script; it reads no field",
    "mfa_verify": "the second step of signing in: a session that passed it is sent on before a field is read "
                  "(its bad codes are tests/security/test_mfa.py's)",
    "password_reset_confirm": "the e-mailed link's token is checked before any field: a made-up one shows the "
                              "'invalid link' page (the new-password fields are password_change's validators)",
    "invitation": "an invitation answers only the login it was sent to; anyone else gets 404 "
                  "(tests/accounts/test_invitations.py)",
    **{name: "the JSON API: every operation is fuzzed from its OpenAPI schema with a credential by "
             "tests/integrations/test_schemathesis.py; here a session POST without a body"
       for name in ("api-contracts", "api-review-item-decide", "api-staff-terminate", "api-staff-upsert",
                    "api-training-completions", "api-not-found")},
    **{name: "SCIM takes a bearer credential only: a session gets 401 before any field is read (tests/scim)"
       for name in ("scim-users", "scim-groups", "scim-bulk", "scim-not-found")},
}
ADMIN_PREFIX = "admin:"
# The Django admin of PortalGov's own models (fix-ups by a platform operator with the admin's permissions);
# the other apps' admin pages (Celery beat, axes, auth groups) are those projects' own forms.
ADMIN_APPS = {"accounts", "audits", "core", "carriers", "hygiene", "staff", "access", "findings", "reviews",
              "security", "training", "offboarding", "integrations", "reconciliation", "compliance", "scim"}
API_PREFIXES = ("api-", "scim-")

ACCEPTED = {200, 302, 303, 400, 403, 404, 405, 422}
REFUSED = {400, 403, 404, 405, 422}
# JSON answers (the API, SCIM, the session ping) have no page to show an error on: any success, or a refusal
# (401 too: SCIM takes a bearer credential only, never a session).
API_ACCEPTED = {200, 201, 204, 400, 401, 403, 404, 405, 409, 422}
API_REFUSED = {400, 401, 403, 404, 405, 409, 422}
ERROR_MARKERS = (b'role="alert"', b"msg-error", b'class="errorlist', b"error-summary", b'aria-invalid="true"')
# Audit events a refused request may write, because they record the refusal or a read, not a change: the
# trail of refused requests and rejected codes, a secret shown again (the MFA enrolment page re-shows its
# key with the error), a verification of the log that ran (its result is the answer).
NOT_CHANGES_PREFIXES = ("request.refused", "api.authentication_failed")  # and their _burst totals
NOT_CHANGES = {"auth.login_failed", "auth.locked_out", "mfa.verify_failed", "mfa.verify_throttled",
               "mfa.enrolment_code_rejected", "mfa.recovery_code_rejected", "security.field_revealed",
               "audit.verified"}


@dataclass
class Form:
    action: str  # the url it posts to (with the real ids of the page it was found on)
    page: str  # the page it was found on
    fields: list = field(default_factory=list)  # [(name, kind, value)]; kind: hidden|button|file|text|choice
    typed: dict = field(default_factory=dict)  # text field -> "number" | "date" | "text" (one-at-a-time bodies)
    shown: list = field(default_factory=list)  # [(name, value)]: what a browser sends unchanged (see filled())

    def shape(self):
        return tuple((n, k) for n, k, _ in self.fields)

    def filled(self):
        """The form as the page shows it, its empty required fields filled with plausible values: a body the
        form may accept, so that one hostile field at a time reaches the code behind the validation."""
        data = defaultdict(list)
        for name, value in self.shown:
            data[name].append(value)
        return {n: v if len(v) > 1 else v[0] for n, v in data.items()}


PLAUSIBLE = {"email": "fuzz@example.org", "url": "https://example.org/", "number": "7", "date": "2025-01-02",
             "tel": "555-0100", "text": "Fuzz value"}


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields (inputs, selects, textareas, named submit buttons), with
    what the page shows in them."""

    def __init__(self, page):
        super().__init__()
        self.page, self.forms, self._form, self._select, self._textarea = page, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = Form(action=urljoin(self.page, a.get("action") or self.page), page=self.page)
                self.forms.append(self._form)
            return
        if tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["selected"].append(a.get("value", ""))
            return
        if self._form is None or not a.get("name") or a["name"] == "csrfmiddlewaretoken":
            return
        name, value, form = a["name"], a.get("value") or "", self._form
        if tag == "input":
            itype = (a.get("type") or "text").lower()
            if itype in ("checkbox", "radio"):
                form.fields.append((name, "choice", value))
                if "checked" in a:
                    form.shown.append((name, value or "on"))
            elif itype in ("hidden", "submit", "file"):
                form.fields.append((name, {"submit": "button"}.get(itype, itype), value))
                if itype == "hidden":
                    form.shown.append((name, value))
            else:
                form.fields.append((name, "text", value))
                is_date = itype == "date" or a.get("placeholder") == "YYYY-MM-DD"
                form.typed[name] = "date" if is_date else "number" if itype == "number" else "text"
                plausible = PLAUSIBLE["date" if is_date else itype if itype in PLAUSIBLE else "text"]
                form.shown.append((name, value or (plausible if "required" in a else "")))
        elif tag == "button" and (a.get("type") or "submit") == "submit":
            form.fields.append((name, "button", value))
        elif tag == "textarea":
            form.fields.append((name, "text", ""))
            form.typed[name] = "text"
            self._textarea = {"name": name, "text": "", "required": "required" in a}
        elif tag == "select":
            self._select = {"name": name, "options": [], "selected": [], "required": "required" in a,
                            "multiple": "multiple" in a}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            t = self._textarea
            if self._form is not None:
                self._form.shown.append((t["name"], t["text"].strip() or (PLAUSIBLE["text"] if t["required"] else "")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            sel = self._select
            if self._form is not None:
                first = sel["options"][0] if sel["options"] else ""
                self._form.fields.append((sel["name"], "text", first))
                chosen = sel["selected"] or ([] if sel["multiple"] else [
                    next((o for o in sel["options"] if o), "") if sel["required"] else first])
                self._form.shown += [(sel["name"], v) for v in chosen]
            self._select = None


ONE_AT_A_TIME = {"text": "long", "number": "huge-int", "date": "far-date"}


def _url_name(url):
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


def _takes_post(route) -> bool:
    """From the resolver: a class with a post method, or a view function whose source reads POST."""
    cls = route.view_class
    if cls is not None:
        return "post" in getattr(cls, "http_method_names", ()) and hasattr(cls, "post")
    try:
        source = inspect.getsource(inspect.unwrap(route.callback))
    except (OSError, TypeError):
        return True  # cannot tell: fuzz it
    return "POST" in source


@functools.cache
def _named_routes():
    return {r.name: r for r in all_routes() if r.name}


def post_routes():
    return sorted(n for n, r in _named_routes().items()
                  if not n.startswith(ADMIN_PREFIX) and n not in EXCLUDED and _takes_post(r))


def routes_without_post():
    return sorted(n for n, r in _named_routes().items()
                  if not n.startswith(ADMIN_PREFIX) and n not in EXCLUDED and not _takes_post(r))


def admin_post_routes():
    """The admin's change page of each of PortalGov's models (its add page has the same form: fuzzed instead
    when the model has no row to change), and a login's set-password page. The admin's other POST pages are
    Django's alone: a changelist's only action is delete_selected (no PortalGov model has an action or an
    editable column), a delete page reads no field (any POST confirms it)."""
    from django.contrib import admin

    names = set(_named_routes())
    routes = []
    for model in admin.site._registry:
        if model._meta.app_label not in ADMIN_APPS:
            continue
        change = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        if change in names:
            routes.append(change)
    return sorted(routes + ["admin:auth_user_password_change"])  # (UserAdmin names it after auth's User)


def _admin_model(name):
    from django.contrib import admin

    for model in admin.site._registry:
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


class Demo:
    """The seeded demo, its signed-in clients, and the POST forms found on its pages."""

    def __init__(self):
        from accounts.demo import ensure_demo_mfa
        from accounts.models import Organization, User

        self.org = Organization.objects.get(slug=PRACTICE)
        self.users = users_by_role(self.org)
        self.users["operating_administrator"] = User.objects.get(email="admin@demo.portalgov.test")
        assert self.users["operating_administrator"].is_staff  # the demo's administrator operates the platform
        self.users["admin_operator"] = User.objects.create_superuser(
            email="fuzz-admin@platform.test", password="crawl-Pa55-word!", full_name="Admin Operator")
        ensure_demo_mfa(self.users["admin_operator"])
        self.clients = {role: sign_in(self.users[role]) for role in (
            "administrator", "staff", "platform_operator", "operating_administrator", "admin_operator")}
        _every_form_on_a_page(self.org, self.users["administrator"], self.clients["administrator"],
                              signed_in=[self.users[role] for role in self.clients])
        self.values = route_values(self.org)
        self.forms = defaultdict(list)  # url name -> [Form], one per distinct shape
        self.pages = 0
        self.outcomes = []  # (route, label, status)
        self._find_forms()

    def _find_forms(self):
        """GET every page of the practice (real ids) as the administrator, and the pages of LOGIN_FOR's routes
        as their login, and keep their POST forms."""
        for name, route in _named_routes().items():
            if name.startswith(ADMIN_PREFIX) or name in EXCLUDED or name in NO_FORM:
                continue
            fills = self.values.get(name, []) if set(route.kwargs) - {"org_slug"} else [{}]
            for fill in fills:
                self._keep_forms(self.clients[LOGIN_FOR.get(name, "administrator")],
                                 route.url({"org_slug": PRACTICE, **fill}))

    def _keep_forms(self, client, url):
        response = client.get(url)
        self.pages += 1
        if response.status_code != 200 or getattr(response, "streaming", False) or not response.get(
                "Content-Type", "").startswith("text/html"):
            return
        parser = _Forms(url)
        parser.feed(response.content.decode())
        for form in parser.forms:
            name = _url_name(form.action)
            if name and len(self.forms[name]) < 3 and form.shape() not in {f.shape() for f in self.forms[name]}:
                self.forms[name].append(form)

    def login_for(self, name):
        return "admin_operator" if name.startswith(ADMIN_PREFIX) else LOGIN_FOR.get(name, "administrator")

    def targets(self, name):
        """[(url, [Form])]: each form found for the route at its own url, else the route with real ids."""
        route = _named_routes()[name]
        if name.startswith(ADMIN_PREFIX):
            model = get_user_model() if name == "admin:auth_user_password_change" else _admin_model(name)
            pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            if name == "admin:auth_user_password_change":
                url = route.url({"id": pk})
            elif pk is None:  # nothing to change: the add page, with the same form
                name = name.replace("_change", "_add")
                url = _named_routes()[name].url({})
            else:
                url = route.url({"object_id": pk})
            self._keep_forms(self.clients["admin_operator"], url)
            return [(url, self.forms.get(_url_name(url), [])[:1])]
        if self.forms.get(name):
            return [(f.action, [f]) for f in self.forms[name]]
        fills = self.values.get(name, [])[:1] if set(route.kwargs) - {"org_slug"} else [{}]
        return [(route.url({"org_slug": PRACTICE, **f}), []) for f in fills] or [
            (route.url({"org_slug": PRACTICE}), [])]


def _every_form_on_a_page(org, admin, client, signed_in):
    """What the seeded demo lacks for every POST form to be on some page of its administrator: an open
    invitation (withdraw), an API credential (revoke), leavers' offboarding cases (items to complete, a
    successor to record, an enrollment administrator to remove), a new hire (a provisioning plan to choose
    from), a member locked out (unlock), review items in the administrator's queue (decide, delegate), one
    of them decided "revoke" (its remediation), a user list uploaded with new columns (the columns form)."""
    import datetime

    from axes.models import AccessAttempt
    from django.conf import settings
    from django.urls import reverse
    from django.utils import timezone

    from accounts import roles
    from accounts.models import Membership
    from accounts.services import member_invite
    from carriers.models import Portal, PortalEnrollment
    from integrations.services import credential_create
    from offboarding.services import leaver_record
    from reviews.models import ReviewItem
    from staff.models import StaffMember
    from staff.services import enrollment_administrator_add, staff_create

    member_invite(organization=org, email="invited@fuzz.example", full_name="Invited Person", role="auditor",
                  acting_user=admin)
    credential_create(organization=org, acting_user=admin, name="Fuzz integration",
                      permissions=[roles.VIEW_STAFF])
    # A leaver with portal accounts (items to complete), and a leaver who is the only primary administrator of
    # a newly registered portal (a successor to record; its administrators page lists her to remove).
    with_accounts = (StaffMember.objects.filter(organization=org, employment_status="active",
                                                portal_accounts__status="active")
                     .exclude(user__in=signed_in).order_by("pk").first())
    leaver_record(staff=with_accounts, acting_user=admin, reason="terminated", end_date=datetime.date.today())
    portal = Portal.objects.filter(organization__isnull=True).exclude(enrollments__organization=org).order_by(
        "pk")[0]
    enrollment = PortalEnrollment.objects.create(organization=org, portal=portal, tin=org.tin,
                                                 status="registered", registered_on=datetime.date(2024, 1, 2))
    portal_admin = staff_create(organization=org, acting_user=admin, full_name="Leaving Administrator",
                                work_email="leaving.admin@fuzz.example", job_role="practice_manager")
    enrollment_administrator_add(enrollment=enrollment, staff_member=portal_admin, role="primary",
                                 acting_user=admin)
    leaver_record(staff=portal_admin, acting_user=admin, reason="terminated", end_date=datetime.date.today())
    staff_create(organization=org, acting_user=admin, full_name="New Hire", work_email="new.hire@fuzz.example",
                 job_role="billing_specialist")  # the newest person: their provisioning plan proposes accounts
    someone = Membership.objects.filter(organization=org).exclude(user=admin).order_by("pk").first().user
    AccessAttempt.objects.create(username=someone.email.lower(), ip_address="192.0.2.1", user_agent="fuzz",
                                 http_accept="*/*", path_info="/accounts/login/", get_data="", post_data="",
                                 failures_since_start=settings.AXES_FAILURE_LIMIT, attempt_time=timezone.now())
    mine = list(ReviewItem.objects.filter(organization=org, decision="", flagged=False).order_by("pk")[:2])
    ReviewItem.objects.filter(pk__in=[i.pk for i in mine]).update(reviewer=admin)
    prefix = f"i{mine[1].pk}-"
    client.post(reverse("reviews_decide", args=[org.slug, mine[1].pk]),
                {f"{prefix}decision": "revoke", f"{prefix}reason": "Left the billing team.", "confirm": "yes"})
    # A user list with columns no mapping knows yet, kept in the session for its columns page.
    client.post(reverse("reconciliation_upload", args=[org.slug, enrollment.pk]), {"file": SimpleUploadedFile(
        "users.csv", b"Login,Full Name,Account Status\nghost.user,Ghost User,Active\n", "text/csv")})


def bodies(form, ids=True):
    """(label, data) for every garbage body of one form (see the module's docstring); ids=False leaves out the
    bodies with hostile hidden fields (the admin's are Django's own management-form counters)."""
    fields = form.fields
    kept = {n: v for n, kind, v in fields if kind in ("hidden", "button")}
    editable = [(n, kind) for n, kind, _ in fields if kind not in ("hidden", "button")]
    if editable:  # (a form of hidden fields and buttons only, sent as it is, is a real submission)
        yield "blank", {**{n: "" for n, kind in editable if kind != "file"}, **kept}
        for label, value in HOSTILE.items():
            data = {n: (_garbage_file(value) if kind == "file" else value) for n, kind in editable}
            yield f"{label} (hidden kept)", {**kept, **data}
    if kept and ids:  # the ids, choices and buttons themselves
        for label in HOSTILE_IDS:
            yield f"{label} (all)", {n: HOSTILE[label] for n, _, _ in fields}
    yield "repeated keys", {n: ([v, *REPEATED] if kind in ("hidden", "button") else REPEATED)
                            for n, kind, v in fields if kind != "file"}
    if ids:  # one field at a time in an otherwise plausible form: what gets past the form's validation
        for name, kind in form.typed.items():
            value = ONE_AT_A_TIME[kind]
            yield f"{name}={value} alone", {**form.filled(), name: FAR_DATE if value == "far-date" else HOSTILE[value]}


def _garbage_file(value):
    return SimpleUploadedFile("garbage.csv", value.encode() + b"\x00\xff\xfe,\r\n\"", "text/csv")


def _is_json(response):
    return response.get("Content-Type", "").startswith(("application/json", "application/scim+json"))


def _shows_an_error(body) -> bool:
    return any(marker in body for marker in ERROR_MARKERS)


def _queued_error(response) -> bool:
    """An error message queued by this request (a redirect's message for the page it leads to)."""
    queued = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    return any(m.level >= messages.ERROR for m in queued)


def _where(exc):
    """The innermost frame of PortalGov's own code in a traceback, and where the exception was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if "/site-packages/" not in f.filename] or frames
    f, inner = own[-1], frames[-1]
    return (f"{f.filename.rsplit('/post-fuzz/', 1)[-1]}:{f.lineno} in {f.name}: {f.line}"
            f" (raised at {inner.filename.rsplit('site-packages/', 1)[-1]}:{inner.lineno})")


def send(demo, client, name, url, label, data):
    """One POST, in a savepoint rolled back after it -> what is wrong with the answer, or None."""
    from audits.models import AuditEvent

    with transaction.atomic():
        before = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        try:
            response = client.post(url, data)
        except Exception as exc:  # the test client re-raises a view's exception: a 500
            transaction.set_rollback(True)
            demo.outcomes.append((name, label, 500))
            return f"500 {type(exc).__name__}: {str(exc)[:160]} at {_where(exc)}"
        written = [a for a in AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True)
                   if a not in NOT_CHANGES and not a.startswith(NOT_CHANGES_PREFIXES)]
        transaction.set_rollback(True)
    client.cookies.pop("messages", None)  # the redirect is not followed: its message must not reach the next one
    status = response.status_code
    demo.outcomes.append((name, label, status))
    body = b"" if getattr(response, "streaming", False) else response.content
    if status >= 500:
        return f"{status}"
    if b"Traceback (most recent call last)" in body:
        return f"{status} with a traceback in the body"
    json = name.startswith(API_PREFIXES) or _is_json(response)
    if status not in (API_ACCEPTED if json else ACCEPTED):
        return f"{status} is not an answer for bad input"
    if json:
        refused = status in API_REFUSED
    else:
        refused = status in REFUSED or (status == 200 and _shows_an_error(body)) or (
            status in (302, 303) and _queued_error(response))
        if status == 200 and not refused and label != NO_FIELDS:
            return "200 without a visible error"
    if refused and written:
        return f"refused ({status}) but wrote audit events {written}"
    return None


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo seeded once for the module, in a transaction rolled back at its end."""
    quiet = [logging.getLogger(n) for n in ("django.request", "django.security")]  # hundreds of expected 4xx
    levels = [log.level for log in quiet]
    for log in quiet:
        log.setLevel(logging.CRITICAL)
    # The test client's template instrumentation (a signal and a context copy per template, every <option>
    # of every select included) doubles the time of a form page; nothing here reads response.context.
    Template._render = _TestState.saved_data.template_render
    started = time.monotonic()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(PORTALGOV_DEMO_COMMANDS_ALLOWED=True):
                call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
            world = Demo()
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            from django.test.utils import instrumented_test_render

            Template._render = instrumented_test_render
            for log, level in zip(quiet, levels, strict=True):
                log.setLevel(level)
    statuses = Counter(status for _, _, status in world.outcomes)
    print(f"\nform posts: {len({n for n, _, _ in world.outcomes})} routes, {len(world.outcomes)} POSTs "
          f"({', '.join(f'{s}: {c}' for s, c in sorted(statuses.items()))}), {world.pages} pages read for "
          f"their forms, {time.monotonic() - started:.0f}s")


def _fuzz(demo, name):
    client = demo.clients[demo.login_for(name)]
    problems = []
    for url, forms in demo.targets(name):
        cases = [(NO_FIELDS, {})] + [(f"form{i} {label}", data) for i, form in enumerate(forms)
                                     for label, data in bodies(form, ids=not name.startswith(ADMIN_PREFIX))]
        for label, data in cases:
            problem = send(demo, client, name, url, label, data)
            if problem:
                problems.append(f"POST {url} [{label}] -> {problem}")
    return problems


@pytest.mark.parametrize("name", post_routes())
def test_garbage_posts_are_answered_clearly(demo, db, name):
    problems = _fuzz(demo, name)
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("name", admin_post_routes())
def test_garbage_posts_to_the_admin_are_answered_clearly(demo, db, name):
    problems = _fuzz(demo, name)
    assert not problems, "\n".join(problems[:40])


def test_routes_that_take_no_post_answer_it_without_a_server_error(demo, db):
    """A POST to a page that takes none: 405, or the page as a GET shows it."""
    problems = []
    for name in routes_without_post():
        client = demo.clients[demo.login_for(name)]
        for url, _ in demo.targets(name)[:1]:
            problem = send(demo, client, name, url, NO_FIELDS, {})
            if problem:
                problems.append(f"POST {url} -> {problem}")
    assert not problems, "\n".join(problems)


def test_every_post_route_has_its_form_or_a_reason(demo, db):
    """A POST route fuzzed with an empty body only would look covered: its form must be found on a page (the
    administrator's, or LOGIN_FOR's login's), or NO_FORM must say why it has none."""
    formless = [n for n in post_routes() if not demo.forms.get(n) and n not in NO_FORM]
    assert not formless, f"POST routes whose form no page shows (set up its page, or say in NO_FORM why): {formless}"
    stale = [n for n in NO_FORM if demo.forms.get(n)]
    assert not stale, f"NO_FORM routes that have a form now (take them out of NO_FORM): {stale}"


def test_every_post_form_on_a_page_targets_a_covered_route(demo, db):
    """A view that reads POST without the word in its source would be taken for a page without POST."""
    covered = set(post_routes()) | set(EXCLUDED)
    missed = {name: [f.page for f in forms] for name, forms in demo.forms.items()
              if name not in covered and not name.startswith(ADMIN_PREFIX)}
    assert not missed, f"forms post to routes this test does not fuzz (give EXCLUDED a reason?): {missed}"
