"""The daily hygiene run computes a practice's training requirements once: the untrained-holder rule and the
compliance snapshot's coverage share them, with the same results as each computing its own."""

from compliance.models import ComplianceSnapshot
from findings.models import Finding
from hygiene import memo
from hygiene.services import run_daily_hygiene
from training import selectors
from training.findings_hook import UNTRAINED_HOLDER


def test_one_hygiene_run_computes_a_practices_requirements_once(tw, monkeypatch):
    from access.models import AccountStatus

    # A suspended account is live (the snapshot counts it) but raises no untrained-holder finding.
    type(tw.gina_acct).objects.filter(pk=tw.gina_acct.pk).update(status=AccountStatus.SUSPENDED)
    calls = []
    compute = selectors._requirements

    def counted(organization, rows, modules):
        calls.append(organization.pk)
        return compute(organization, rows, modules)

    monkeypatch.setattr(selectors, "_requirements", counted)
    run_daily_hygiene()
    assert calls == [tw.w.org.pk]
    findings = sorted(Finding.objects.filter(rule=UNTRAINED_HOLDER, resolved_at__isnull=True)
                      .values_list("portal_account_id", flat=True))
    assert findings == [tw.dave_acct.pk, tw.dave_acct.pk]  # both modules, the active account only
    coverage = ComplianceSnapshot.objects.get(organization=tw.w.org).figures["training_coverage"]
    assert coverage == 0
    expected = selectors.training_status_for_accounts(tw.w.org, [tw.dave_acct.pk, tw.gina_acct.pk])
    assert set(expected.values()) == {"due"}

    calls.clear()
    monkeypatch.setattr(memo, "shared", lambda key, compute: compute())  # each computes its own
    run_daily_hygiene()
    assert calls == [tw.w.org.pk, tw.w.org.pk]
    assert ComplianceSnapshot.objects.get(organization=tw.w.org).figures["training_coverage"] == coverage
    assert sorted(Finding.objects.filter(rule=UNTRAINED_HOLDER, resolved_at__isnull=True)
                  .values_list("portal_account_id", flat=True)) == findings
