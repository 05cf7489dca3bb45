"""Query budgets: every list page and API list answers in a pinned number of SQL statements, the same
for a practice three times the size (no query per row).

Two synthetic practices (core.synthetic) are built side by side, the second with three times the staff
(so three times the accounts, findings, review items, tasks and audit events); both get the daily
job's findings and offboarding work and a launched review, then each page is fetched for each practice
and the statements counted. A page whose count changes on purpose gets its new number pinned here."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.synthetic import Sizes, generate

pytestmark = pytest.mark.django_db

SMALL, BIG = 8, 24  # people per practice: N, then 3N

# Pages as the practice administrator sees them ({slug}: the practice); the review queue as its reviewer.
PAGES = {
    "dashboard": "/o/{slug}/",
    "roster": "/o/{slug}/staff/",
    "access matrix": "/o/{slug}/access/matrix/",
    "task queue": "/o/{slug}/access/tasks/",
    "organization credentials": "/o/{slug}/access/credentials/",
    "access policy": "/o/{slug}/access/policy/",
    "members": "/o/{slug}/members/",
    "audit log": "/o/{slug}/audit/",
    "directory": "/o/{slug}/directory/",
    "carriers": "/o/{slug}/directory/carriers/",
    "contracts": "/o/{slug}/directory/contracts/",
    "directory gaps": "/o/{slug}/directory/gaps/",
    "custom portals": "/o/{slug}/directory/custom-portals/",
    "findings": "/o/{slug}/findings/",
    "jobs": "/o/{slug}/jobs/",
    "integrations": "/o/{slug}/integrations/",
    "offboarding": "/o/{slug}/offboarding/",
    "recertifications": "/o/{slug}/offboarding/recertifications/",
    "review campaigns": "/o/{slug}/reviews/",
    "review campaign": "/o/{slug}/reviews/{campaign}/",
    "training modules": "/o/{slug}/training/",
    "training module": "/o/{slug}/training/{module}/",
    "security": "/o/{slug}/security/",
}
# Lists that answer a signed-in person (the integration credentials reach the integrations API).
SESSION_API = {"api organizations": "/api/v1/organizations/", "api directory": "/api/v1/o/{slug}/directory/",
               "api contracts": "/api/v1/o/{slug}/contracts/"}
REVIEWER_PAGES = {"review queue": "/o/{slug}/reviews/mine/", "my portal accounts": "/o/{slug}/my/portal-accounts/"}
API = {
    "api staff": "/api/v1/o/{slug}/staff/",
    "api portal accounts": "/api/v1/o/{slug}/portal-accounts/",
    "api findings": "/api/v1/o/{slug}/findings/",
    "api audit events": "/api/v1/o/{slug}/audit-events/",
}


def _practice(prefix: str, staff: int, seed: int):
    from accounts.models import Organization, User
    from core.context import Actor, acting_as
    from findings.checks import access_findings_check
    from hygiene.services import run_recorded_job
    from offboarding.checks import offboarding_check
    from reviews.launch import campaign_launch
    from training.models import TrainingModule

    generate(Sizes(orgs=1, staff=staff, portals=3, events=staff * 10, seed=seed, prefix=prefix, event_months=2),
             log=lambda *_: None)
    org = Organization.objects.get(slug__startswith=f"{prefix}-")
    with acting_as(Actor.job("test")):
        run_recorded_job("daily_hygiene", [("access_findings", access_findings_check), ("offboarding", offboarding_check)],
                         organizations=[org])
        campaign = campaign_launch(organization=org, period="2026Q4",
                                   now=timezone.make_aware(datetime.datetime(2026, 10, 2, 9)))
    admin = User.objects.get(email=f"admin@{org.slug}.example")
    reviewer = User.objects.get(email=f"billing1@{org.slug}.example")
    module = TrainingModule.objects.filter(organization=org).first()
    return {"org": org, "admin": admin, "reviewer": reviewer, "campaign": campaign.pk, "module": module.pk}


SQL: dict[str, list[str]] = {}  # path -> the statements of its last count, to show what differs on failure


def _count(client, path: str, **headers) -> int:
    client.get(path, **headers)  # warm per-process caches (content types, sessions, last-used stamps)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.status_code)
    # The idle time-out refreshes the session at most once a minute (a savepoint and an UPDATE): time-driven,
    # not row-driven, so it is left out of the budget.
    sql = [q["sql"] for q in queries.captured_queries
           if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", 'UPDATE "django_session"'))]
    SQL[path] = [q[:160] for q in sql]
    return len(sql)


def _counts(client, practice) -> dict[str, int]:
    from accounts import roles
    from integrations.services import credential_create

    fill = {"slug": practice["org"].slug, "campaign": practice["campaign"], "module": practice["module"]}
    out = {}
    client.force_login(practice["admin"])
    for name, path in {**PAGES, **SESSION_API}.items():
        out[name] = _count(client, path.format(**fill))
    client.force_login(practice["reviewer"])
    for name, path in REVIEWER_PAGES.items():
        out[name] = _count(client, path.format(**fill))
    client.logout()
    _, token = credential_create(organization=practice["org"], acting_user=practice["admin"], name="budget",
                                 permissions=(roles.VIEW_STAFF, roles.VIEW_PORTAL_ACCOUNTS, roles.VIEW_FINDINGS,
                                              roles.VIEW_AUDIT_LOG, roles.VIEW_ORGANIZATION))
    for name, path in API.items():
        out[name] = _count(client, path.format(**fill), HTTP_AUTHORIZATION=f"Bearer {token}")
    return out


@pytest.fixture
def practices(settings):
    settings.PORTALGOV_DEMO_COMMANDS_ALLOWED = True
    small = _practice("budget-small", SMALL, seed=3)
    big = _practice("budget-big", BIG, seed=4)
    return small, big


def test_every_list_takes_a_pinned_number_of_queries_whatever_the_rows(client, practices):
    from access.models import PortalAccount
    from audits.models import AuditEvent
    from reviews.models import ReviewItem

    small, big = practices
    # The bigger practice really is bigger: three times the accounts, review items and events.
    for model, field in ((PortalAccount, "organization"), (ReviewItem, "organization")):
        n_small = model.objects.filter(**{field: small["org"]}).count()
        n_big = model.objects.filter(**{field: big["org"]}).count()
        assert n_big >= 2.5 * n_small > 0, model
    assert (AuditEvent.objects.filter(organization_id=big["org"].pk).count()
            > 2 * AuditEvent.objects.filter(organization_id=small["org"].pk).count())
    few, many = _counts(client, small), _counts(client, big)
    grew = {name: (few[name], many[name]) for name in few if few[name] != many[name]}
    assert not grew, f"query count grows with rows (N, 3N): {grew}\n" + "\n".join(
        f"{path}:\n  " + "\n  ".join(sql) for path, sql in SQL.items()
        if any(name in grew for name, p in {**PAGES, **SESSION_API, **REVIEWER_PAGES, **API}.items()
               if p.split("{slug}")[-1].split("{")[0] in path and ("/api/" in p) == ("/api/" in path)))
    assert few == BUDGETS, f"pinned budgets changed: {few}"


BUDGETS: dict[str, int] = {
    # Pages (session and user take 2 of each; one query reads the person's memberships with their organizations,
    # which both resolves the page's practice and lists the layout's practice switcher, and the role's
    # permissions come from it, with no guardian query; with a shared cache the session is read from it).
    # The dashboard adds "needs you now", its cards (the facts both show read once: core.dashboard.DashboardFacts)
    # and the 90-day trend. The audit log's action menu comes from the cache after the first view.
    "dashboard": 20, "roster": 5, "access matrix": 9, "task queue": 6, "organization credentials": 5,
    "access policy": 6, "members": 5, "audit log": 6, "directory": 11, "carriers": 5, "contracts": 6,
    "directory gaps": 9, "custom portals": 6, "findings": 5, "jobs": 6, "integrations": 4, "offboarding": 4,
    "recertifications": 6, "review campaigns": 7, "review campaign": 10, "training modules": 5, "training module": 9,
    "security": 6, "api organizations": 5, "api directory": 11, "api contracts": 5, "review queue": 6,
    "my portal accounts": 9, "api staff": 4, "api portal accounts": 5, "api findings": 4, "api audit events": 3,
}
