"""Findings evaluation reads an organization set-based: the same number of SQL statements for a practice
three times the size (steady state: every leaver's checklist, finding and task already in place)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.synthetic import Sizes, generate

pytestmark = pytest.mark.django_db


def _steady_state_queries(prefix: str, staff: int, seed: int) -> tuple[int, int]:
    from access.models import PortalAccount
    from accounts.models import Organization
    from findings.services import findings_evaluate_organization

    generate(Sizes(orgs=1, staff=staff, portals=4, events=0, seed=seed, prefix=prefix), log=lambda *_: None)
    org = Organization.objects.get(slug__startswith=f"{prefix}-")
    findings_evaluate_organization(organization=org)  # first time: opens findings, leavers' checklists, movers
    findings_evaluate_organization(organization=org)
    with CaptureQueriesContext(connection) as queries:
        counts = findings_evaluate_organization(organization=org)
    assert counts["opened"] == counts["resolved"] == 0  # steady: nothing left to change
    return len(queries), PortalAccount.objects.filter(organization=org).count()


def test_findings_evaluation_takes_the_same_queries_for_three_times_the_accounts(settings):
    small, small_accounts = _steady_state_queries("eval-small", 12, seed=5)
    big, big_accounts = _steady_state_queries("eval-big", 36, seed=6)
    assert big_accounts >= 2.5 * small_accounts
    assert small == big, (small, big)
    assert small <= 40  # a handful per rule, whatever the size
