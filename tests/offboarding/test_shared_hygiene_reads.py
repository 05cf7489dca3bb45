"""The daily hygiene run reads a practice's hygiene facts once (the findings evaluation and the reminders
share them), and the SQL pre-filter of the facts keeps exactly the accounts the per-account tests keep."""

import datetime

import pytest
from django.db.models import Q

from carriers.models import PortalAccountRule
from hygiene import memo
from hygiene.services import run_daily_hygiene
from offboarding import rules as offboarding_rules

from .conftest import NOW, rule

K = PortalAccountRule.Kind
TODAY = NOW.date()


def set_account(acct, **fields):
    type(acct).objects.filter(pk=acct.pk).update(**fields)


@pytest.fixture
def varied(practice):
    """Accounts spread over every kind of fact and both sides of each threshold."""
    a = practice["accounts"]
    rule(practice["mycgs"].portal, K.INACTIVITY_LOCKOUT_DAYS, 30)
    rule(practice["mycgs"].portal, K.PASSWORD_LIFETIME_DAYS, 60)
    rule(practice["mycgs"].portal, K.MFA, value="Required: 8-digit code")
    rule(practice["availity"].portal, K.MFA, value="Optional")
    set_account(a[("Tom Reed", "Availity Essentials")], last_login_attested=TODAY - datetime.timedelta(days=80),
                mfa_enrolled=False)
    # Never logged in: provisioned at 03:30 UTC, the evening before in New York (the local day counts).
    set_account(a[("Tom Reed", "myCGS")], last_login_attested=None,
                provisioned_at=datetime.datetime(2026, 11, 2, 3, 30, tzinfo=datetime.UTC))
    set_account(a[("Paula Pay", "myCGS")], password_last_changed=TODAY - datetime.timedelta(days=53),
                mfa_enrolled=False)
    set_account(a[("Maria Admin", "myCGS")], last_login_attested=TODAY - datetime.timedelta(days=31))
    set_account(a[("Maria Admin", "Availity Essentials")], last_login_attested=None, provisioned_at=None,
                password_last_changed=None)
    return practice


def _facts(organization, today, warn_days):
    return sorted((f.kind, f.account_id, f.on, f.days_left, f.window) for f in
                  offboarding_rules._hygiene_facts(organization, today, warn_days=warn_days))


def test_the_sql_filter_keeps_exactly_the_accounts_with_a_fact(world, varied, monkeypatch):
    days = [TODAY + datetime.timedelta(days=n) for n in range(-40, 100, 3)]
    filtered = {(d, w): _facts(world.org, d, w) for d in days for w in (0, 3, 14)}
    monkeypatch.setattr(offboarding_rules, "_may_have_a_fact", lambda *args: Q())  # every active account
    unfiltered = {(d, w): _facts(world.org, d, w) for d in days for w in (0, 3, 14)}
    assert filtered == unfiltered
    assert {kind for facts in filtered.values() for kind, *_ in facts} == {"lockout", "password", "mfa"}


def test_one_hygiene_run_reads_a_practices_facts_once(world, varied, monkeypatch):
    calls = []
    compute = offboarding_rules._hygiene_facts

    def counted(organization, today, *, warn_days):
        calls.append(organization.pk)
        return compute(organization, today, warn_days=warn_days)

    monkeypatch.setattr(offboarding_rules, "_hygiene_facts", counted)
    shared = run_daily_hygiene()
    assert sorted(calls) == sorted([world.org.pk, world.other_org.pk])  # the evaluation's; the reminders reuse it
    calls.clear()
    monkeypatch.setattr(memo, "shared", lambda key, compute: compute())  # every step computes its own
    again = run_daily_hygiene()
    assert len(calls) == 4
    # The same facts either way (the second run opens nothing new and sends nothing twice).
    for key in ("access_findings.findings_open", "offboarding.reminder_facts"):
        assert again.counts[key] == shared.counts[key] > 0, key
    assert again.counts["access_findings.findings_opened"] == 0


def test_a_write_between_steps_makes_the_next_step_read_again(world, varied):
    from django.db import transaction

    from access.models import PortalAccount
    from audits.services import record_event

    reads = []
    with memo.organization_memo():
        assert memo.shared("k", lambda: reads.append(1) or len(reads)) == 1
        record_event("test.pinged", organization=world.org)  # the audit log feeds nothing shared
        assert memo.shared("k", lambda: reads.append(1) or len(reads)) == 1
        PortalAccount.objects.filter(organization=world.org).update(mfa_enrolled=True)
        assert memo.shared("k", lambda: reads.append(1) or len(reads)) == 2
        memo.forget()
        assert memo.shared("k", lambda: reads.append(1) or len(reads)) == 3
    with memo.organization_memo():  # a fresh run: nothing written yet
        assert memo.shared("k", lambda: "first") == "first"
        try:  # a rolled-back savepoint that wrote only what feeds nothing shared: the value stays
            with transaction.atomic():
                record_event("test.pinged", organization=world.org)
                raise RuntimeError
        except RuntimeError:
            pass
        assert memo.shared("k", lambda: "again") == "first"
        try:  # one that wrote an account: everything computed since is forgotten
            with transaction.atomic():
                PortalAccount.objects.filter(organization=world.org).update(mfa_enrolled=False)
                assert memo.shared("k", lambda: "inside") == "inside"
                raise RuntimeError
        except RuntimeError:
            pass
        assert memo.shared("k", lambda: "after the rollback") == "after the rollback"
    assert memo.shared("k", lambda: "outside: computed each time") == "outside: computed each time"
