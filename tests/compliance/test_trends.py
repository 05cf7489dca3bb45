"""Compliance over time (issue 16): snapshot figures against known data, charts, the multi-practice
summary (only practices the person has a role in), flat query counts."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.models import ProvisioningTask
from access.services import portal_account_create
from accounts.models import Role
from audits.models import AuditEvent
from carriers.models import PortalAccountRule
from compliance.models import ComplianceSnapshot
from compliance.services import snapshot_take
from findings.models import Finding
from tests.factories import OrganizationFactory

from ..staff.factories import make_enrollment, make_portal, make_staff


def _finding(org, severity, key):
    now = timezone.now()
    return Finding.objects.create(organization=org, rule="test_rule", severity=severity, key=key, title=key,
                                  first_seen=now, last_seen=now)


def test_snapshot_figures_match_known_data(world):
    org = world.org
    today = timezone.localdate()
    admin = make_staff(org, "Pat Primary", job_role="practice_manager")
    portal = make_portal("Noridian Medicare Portal")
    PortalAccountRule.objects.create(portal=portal, kind=PortalAccountRule.Kind.INACTIVITY_LOCKOUT_DAYS,
                                     value="60 days", number=60, source="https://example.org")
    enrollment = make_enrollment(org, portal, admin=admin)  # one administrator only
    person = make_staff(org, "Tom Reed")
    near = portal_account_create(staff_member=person, enrollment=enrollment, acting_user=world.alice,
                                 functions=["eligibility_benefits"], portal_user_id="treed", status="active",
                                 last_login_attested=today - datetime.timedelta(days=50))
    portal_account_create(staff_member=make_staff(org, "Ana Ng"), enrollment=enrollment, acting_user=world.alice,
                          functions=["eligibility_benefits"], portal_user_id="ang", status="active",
                          last_login_attested=today - datetime.timedelta(days=2))
    ProvisioningTask.objects.create(organization=org, kind="deactivate", portal_account=near,
                                    due_on=today - datetime.timedelta(days=1))
    ProvisioningTask.objects.create(organization=org, kind="change", portal_account=near,
                                    due_on=today + datetime.timedelta(days=3))
    # Hand-made findings last: creating accounts re-evaluates the rules, which would resolve them.
    _finding(org, "critical", "c1")
    _finding(org, "high", "h1")
    _finding(org, "high", "h2")
    resolved = _finding(org, "critical", "c2")
    resolved.resolved_at = timezone.now()
    resolved.save()

    figures = snapshot_take(organization=org).figures
    open_findings = Finding.objects.filter(organization=org, resolved_at__isnull=True)
    assert figures["findings_critical"] == open_findings.filter(severity="critical").count()
    assert figures["findings_high"] == open_findings.filter(severity="high").count() >= 2
    assert figures["findings_open"] == open_findings.count()
    assert figures["tasks_overdue"] == 1
    assert figures["portals_without_two_administrators"] == 1
    assert figures["accounts_near_lockout"] == 1 and figures["accounts_live"] == 2
    assert figures["review_percent"] is None and figures["training_coverage"] is None
    assert figures["reconciliation_open"] == 0


def test_a_second_snapshot_the_same_day_replaces_it(world):
    snapshot_take(organization=world.org)
    _finding(world.org, "critical", "later")
    snap = snapshot_take(organization=world.org)
    assert ComplianceSnapshot.objects.filter(organization=world.org).count() == 1
    assert snap.figures["findings_critical"] == 1


def test_the_daily_hygiene_run_takes_the_snapshot(world):
    from hygiene.services import run_daily_hygiene

    run = run_daily_hygiene()
    assert run.counts.get("compliance_snapshot.snapshots") == 2  # both organizations
    assert ComplianceSnapshot.objects.filter(day=timezone.localdate()).count() == 2


def _history(org, days, start=10):
    today = timezone.localdate()
    for n in range(days):
        day = today - datetime.timedelta(days=days - 1 - n)
        ComplianceSnapshot.objects.create(organization=org, day=day, figures={
            "findings_critical": max(start - n, 0), "findings_high": 3, "findings_open": 10, "tasks_overdue": n % 3,
            "review_percent": min(10 * n, 100), "portals_without_two_administrators": 1,
            "accounts_near_lockout": 2, "training_coverage": 80, "reconciliation_open": 0})


def test_trends_page_draws_accessible_charts_that_link_to_their_lists(world, client_for):
    _history(world.org, 30)
    page = client_for(world.alice).get(f"/o/{world.org.slug}/trends/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('<svg class="chart"') == 7
    assert 'role="img" aria-label="Open findings by severity"' in html
    assert 'stroke-dasharray="6 4"' in html  # the second series is told apart without colour
    assert f'href="/o/{world.org.slug}/findings/?severity=critical"' in html
    assert "Critical: 0" in html and "<details><summary>Data" in html
    assert "style=" not in html.split("<main", 1)[-1]  # no inline style: the CSP forbids it


def test_trends_page_roles(world, client_for):
    assert client_for(world.oscar).get(f"/o/{world.org.slug}/trends/").status_code == 403
    assert client_for(world.bob).post(f"/o/{world.org.slug}/trends/").status_code == 403
    assert client_for(world.alice).post(f"/o/{world.org.slug}/trends/").status_code == 302
    assert ComplianceSnapshot.objects.filter(organization=world.org).count() == 1


def test_summary_shows_only_practices_the_person_has_a_role_in_and_sorts(world, client_for):
    from accounts.services import membership_grant

    third = OrganizationFactory(legal_name="Third Practice", slug="third")
    membership_grant(organization=third, user=world.alice, role=Role.AUDITOR)
    _history(world.org, 5, start=9)
    _history(world.other_org, 5, start=2)
    client = client_for(world.alice)
    page = client.get("/summary/?sort=findings_critical&dir=desc")
    names = [r["organization"].slug for r in page.context["rows"]]
    assert "other" not in names and names[0] == "cascade" and names[-1] == "third"  # no snapshot sorts last
    assert page.context["rows"][0]["figures"]["findings_critical"] == 5
    assert 'class="sparkline"' in page.content.decode()
    assert client_for(world.oscar).get("/summary/").context["rows"][0]["organization"].slug == "other"


def test_summary_csv_is_formula_safe_and_audited(world, client_for):
    world.org.legal_name = "=HYPERLINK(\"http://evil.example\")"
    world.org.save()
    _history(world.org, 3)
    response = client_for(world.alice).get("/summary/?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0].startswith("'=")
    assert rows[0][3] == "Critical findings"
    assert AuditEvent.objects.filter(action="compliance.summary_exported", actor_id=world.alice.pk).exists()


@pytest.mark.parametrize("path", ["/summary/", "trends", "dashboard"])
def test_query_counts_stay_flat_as_data_grows(world, client_for, path):
    client = client_for(world.alice)
    url = path if path.startswith("/") else f"/o/{world.org.slug}/{'trends/' if path == 'trends' else ''}"

    def measure(orgs, days):
        for i in range(orgs):
            org = OrganizationFactory(legal_name=f"Practice {days}-{i}", slug=f"p{days}-{i}")
            from accounts.services import membership_grant

            membership_grant(organization=org, user=world.alice, role=Role.ADMINISTRATOR, acting_user=None)
            _history(org, days)
        ComplianceSnapshot.objects.filter(organization=world.org).delete()
        _history(world.org, days)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    assert measure(1, 5) == measure(6, 40)


def test_the_dashboard_shows_the_trend_to_those_who_see_findings_only(world, client_for):
    _history(world.org, 20)
    html = client_for(world.alice).get(f"/o/{world.org.slug}/").content.decode()
    assert "Over the last 90 days" in html and html.count('<svg class="chart"') == 3
    assert f'href="/o/{world.org.slug}/trends/"' in html
    staff_html = client_for(world.dave).get(f"/o/{world.org.slug}/").content.decode()
    assert "Over the last 90 days" not in staff_html
