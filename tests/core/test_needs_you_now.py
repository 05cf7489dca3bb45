"""The dashboard's "Needs you now" (core.dashboard.needs_you_now): what each role is shown, most urgent first,
each with its age and a link, at a fixed number of queries however many rows there are."""

import datetime
import itertools

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import ProvisioningTask
from accounts import roles
from core.dashboard import NEEDS_PER_KIND, needs_you_now
from findings.models import Finding
from offboarding.models import OffboardingCase
from reviews.models import ReviewCampaign, ReviewItem
from staff.models import JobRole

from ..reviews.factories import make_account, make_enrollment, make_staff

NOW = datetime.datetime(2026, 11, 27, 15, 0, tzinfo=datetime.UTC)  # 10:00 in New York
_key = itertools.count(1)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def practice(world, clock):
    org = world.org
    alice_staff = make_staff(org, "Alice Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    dave_staff = make_staff(org, "Dave Staff", user=world.dave)
    other = make_staff(org, "Olga Other")
    leaver = make_staff(org, "Larry Leaver")
    enrollment = make_enrollment(org, "Availity Essentials", admin=alice_staff)
    return {"alice": alice_staff, "dave": dave_staff, "other": other, "leaver": leaver, "enrollment": enrollment,
            "dave_acct": make_account(dave_staff, enrollment), "other_acct": make_account(other, enrollment),
            "leaver_acct": make_account(leaver, enrollment)}


def ago(**kw):
    return NOW - datetime.timedelta(**kw)


def case(org, staff, *, due):
    return OffboardingCase.objects.create(organization=org, staff_member=staff, reason="terminated",
                                          recorded_at=due - datetime.timedelta(hours=1), due_at=due)


def task(org, account, kind, *, due_days_ago, assignee=None, status=ProvisioningTask.Status.OPEN):
    return ProvisioningTask.objects.create(organization=org, kind=kind, portal_account=account, assignee=assignee,
                                           status=status, due_on=NOW.date() - datetime.timedelta(days=due_days_ago))


def finding(org, title, severity, *, since, account=None, staff=None):
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}[severity]
    return Finding.objects.create(organization=org, rule="test_rule", severity=severity, severity_rank=rank,
                                  key=f"k{next(_key)}", title=title, first_seen=since, last_seen=NOW,
                                  portal_account=account, staff_member=staff)


def campaign(org, *, due, period="2026Q4"):
    return ReviewCampaign.objects.create(organization=org, period=period, name=f"Access review {period}",
                                         status=ReviewCampaign.Status.OPEN, period_start=datetime.date(2026, 10, 1),
                                         launched_at=ago(days=20), due_on=due)


def review_item(c, reviewer, account, decision=""):
    return ReviewItem.objects.create(campaign=c, organization=c.organization, portal_account=account,
                                     holder=account.staff_member, holder_name=account.staff_member.full_name,
                                     reviewer=reviewer, reviewer_basis="administrator", decision=decision)


def needs_for(world, user):
    membership = user.memberships.get(organization=world.org)
    return needs_you_now(organization=world.org, user=user, perms=roles.ROLE_PERMISSIONS[membership.role])


@pytest.fixture
def busy(world, practice):
    """One of everything, plus things that must NOT be shown."""
    org, p = world.org, practice
    c = campaign(org, due=datetime.date(2026, 12, 17))
    rows = {
        "leaver_overdue": case(org, p["leaver"], due=ago(minutes=30)),
        "leaver_clock": case(org, p["other"], due=NOW + datetime.timedelta(minutes=41)),
        "critical": finding(org, "User ID 'jdoe' is shared by Dave Staff, Olga Other", "critical", since=ago(days=3),
                            account=p["dave_acct"]),
        "high_other": finding(org, "Olga Other holds more than policy", "high", since=ago(days=9),
                              account=p["other_acct"]),
        "deactivate": task(org, p["leaver_acct"], ProvisioningTask.Kind.DEACTIVATE, due_days_ago=1),
        "provision": task(org, p["other_acct"], ProvisioningTask.Kind.PROVISION, due_days_ago=4,
                          assignee=p["dave"]),
        "not_due": task(org, p["dave_acct"], ProvisioningTask.Kind.PROVISION, due_days_ago=-3),
        "done": task(org, p["dave_acct"], ProvisioningTask.Kind.PROVISION, due_days_ago=9,
                     status=ProvisioningTask.Status.DONE),
        "campaign": c,
    }
    for acct in (p["dave_acct"], p["other_acct"]):
        review_item(c, world.alice, acct)
    review_item(c, world.alice, p["leaver_acct"], decision="keep")  # decided: not waiting
    review_item(c, world.bob, make_account(make_staff(org, "Bea Billing"), p["enrollment"]))
    return rows


def test_administrator_sees_the_most_urgent_first_each_with_age_and_link(world, busy):
    needs = needs_for(world, world.alice)
    got = [(n.kind, n.title) for n in needs]
    assert got == [
        ("leaver", "Leaver: Larry Leaver"),  # past its one-hour deadline
        ("leaver", "Leaver: Olga Other"),  # clock still running
        ("finding", "User ID 'jdoe' is shared by Dave Staff, Olga Other"),
        ("task", "Deactivate account: Larry Leaver"),
        ("task", "Create account: Olga Other"),
        ("review", "2 review items waiting for your decision"),
    ]
    ages = [n.age for n in needs]
    assert ages[0] == "overdue by 30\xa0minutes"
    assert ages[1] == "41\xa0minutes left"
    assert ages[2] == "open for 3\xa0days"
    assert ages[3] == "overdue by 1\xa0day" and ages[4] == "overdue by 4\xa0days"
    slug = world.org.slug
    assert needs[0].url == reverse("offboarding_case", args=[slug, busy["leaver_overdue"].pk])
    assert needs[3].url == reverse("task_complete", args=[slug, busy["deactivate"].pk])
    assert needs[5].url == reverse("reviews_queue", args=[slug])
    assert [n.tone for n in needs[:4]] == ["bad", "warn", "bad", "bad"]


def test_billing_manager_sees_her_reviews_and_critical_findings_not_the_administrators_work(world, busy):
    needs = needs_for(world, world.bob)
    assert [(n.kind, n.title) for n in needs] == [
        ("finding", "User ID 'jdoe' is shared by Dave Staff, Olga Other"),
        ("review", "1 review item waiting for your decision"),
    ]


def test_auditor_sees_overdue_reviews_and_an_unverified_log(world, busy, clock):
    busy["campaign"].due_on = datetime.date(2026, 11, 20)
    busy["campaign"].save()
    needs = needs_for(world, world.carol)
    assert [(n.kind, n.title) for n in needs] == [
        ("finding", "User ID 'jdoe' is shared by Dave Staff, Olga Other"),
        ("review", "Access review not signed off: Access review 2026Q4"),
        ("audit", "Audit log not yet verified"),
    ]
    assert needs[1].age == "overdue by 1\xa0week"
    assert needs[1].url == reverse("reviews_campaign", args=[world.org.slug, busy["campaign"].pk])


def test_staff_member_sees_only_her_own_findings_and_tasks(world, busy, practice):
    needs = needs_for(world, world.dave)
    assert [(n.kind, n.title, n.url) for n in needs] == [
        # The shared login is on her account: critical, and hers to know about.
        ("finding", "User ID 'jdoe' is shared by Dave Staff, Olga Other",
         reverse("my_accounts", args=[world.org.slug])),
        # She is the portal administrator the overdue task is assigned to.
        ("task", "Create account: Olga Other", reverse("task_complete", args=[world.org.slug, busy["provision"].pk])),
    ]
    assert "Olga Other holds more than policy" not in {n.title for n in needs}
    assert not [n for n in needs if n.kind in ("leaver", "review", "audit")]


def test_nothing_to_do_is_an_empty_list(world, practice):
    assert needs_for(world, world.alice) == []
    assert needs_for(world, world.dave) == []


def _fill(world, practice, n):
    org = world.org
    c = ReviewCampaign.objects.filter(organization=org).first() or campaign(org, due=datetime.date(2026, 12, 17))
    for i in range(n):
        s = make_staff(org, f"Extra {i}")
        acct = make_account(s, practice["enrollment"])
        case(org, s, due=NOW + datetime.timedelta(minutes=i))
        finding(org, f"Critical {i}", "critical", since=ago(hours=i + 1), account=acct)
        task(org, acct, ProvisioningTask.Kind.DEACTIVATE, due_days_ago=i + 1, assignee=practice["dave"])
        finding(org, f"Dave's {i}", "high", since=ago(hours=i + 1), account=practice["dave_acct"])
        review_item(c, world.alice, acct)


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "dave"])
def test_query_count_stays_flat_as_rows_grow(world, practice, who):
    user = getattr(world, who)
    _fill(world, practice, 2)
    with CaptureQueriesContext(connection) as few:
        small = needs_for(world, user)
    _fill(world, practice, 3 * NEEDS_PER_KIND)
    with CaptureQueriesContext(connection) as many:
        large = needs_for(world, user)
    assert len(many) == len(few), [q["sql"] for q in many]
    assert len(large) >= len(small)
    # Each kind shows at most NEEDS_PER_KIND rows; the last one says how many more there are.
    for kind in {n.kind for n in large}:
        rows = [n for n in large if n.kind == kind and n.kind != "review"]
        assert len(rows) <= NEEDS_PER_KIND
        if len(rows) == NEEDS_PER_KIND:
            assert rows[-1].more > 0


def test_more_counts_what_is_not_shown(world, practice):
    _fill(world, practice, NEEDS_PER_KIND + 4)
    leavers = [n for n in needs_for(world, world.alice) if n.kind == "leaver"]
    assert len(leavers) == NEEDS_PER_KIND
    assert leavers[-1].more == 4 and all(n.more == 0 for n in leavers[:-1])


def test_dashboard_leads_with_needs_and_a_staff_member_sees_her_own_access(world, busy, client_for):
    admin_page = client_for(world.alice).get(reverse("dashboard", args=[world.org.slug])).content.decode()
    assert admin_page.index("Needs you now") < admin_page.index("At a glance")
    assert "Leaver: Larry Leaver" in admin_page and "TIN " in admin_page

    staff_page = client_for(world.dave).get(reverse("dashboard", args=[world.org.slug])).content.decode()
    assert "User ID &#x27;jdoe&#x27; is shared by Dave Staff, Olga Other" in staff_page
    assert "Your portal accounts" in staff_page and "Your training" in staff_page
    # Practice figures are not hers.
    for practice_figure in ("TIN ", "Portals registered", "Current contracts", "Active staff"):
        assert practice_figure not in staff_page
    assert "Leaver: Larry Leaver" not in staff_page


def test_dashboard_for_a_staff_login_without_a_roster_entry(world, client_for):
    response = client_for(world.dave).get(reverse("dashboard", args=[world.org.slug]))
    assert response.status_code == 200
    assert "not linked to anyone on" in response.content.decode()
