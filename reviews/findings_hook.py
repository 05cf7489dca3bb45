"""The overdue-review finding, produced by the findings engine like every other rule.

Registered with findings.rules.register_rule_provider, so findings_evaluate_organization opens and
resolves it like every other rule (a finding created outside the engine would be resolved by the next
evaluation).
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

REVIEW_OVERDUE = "review_overdue"


def overdue_review_specs(organization, now: datetime.datetime) -> list:
    from findings.models import Severity
    from findings.rules import FindingSpec

    from .models import FINAL_DECISIONS, ReviewCampaign

    today = now.date()
    campaigns = (ReviewCampaign.objects.filter(organization=organization, status=ReviewCampaign.Status.OPEN,
                                               due_on__lt=today)
                 .annotate(undecided=Count("items", filter=~Q(items__decision__in=FINAL_DECISIONS))))
    specs = []
    for campaign in campaigns:
        if not campaign.undecided:
            continue  # decided; only remediation or sign-off left
        specs.append(FindingSpec(
            REVIEW_OVERDUE, Severity.HIGH, f"{REVIEW_OVERDUE}:{campaign.pk}",
            f"{campaign.name} is overdue: {campaign.undecided} item(s) undecided",
            f"Due {campaign.due_on:%Y-%m-%d}. Reviewers are reminded daily and the items are escalated to the "
            "administrators; decide or reassign them, then sign the campaign off."))
    return specs


def _install() -> None:
    from findings import rules

    rules.RULE_LABELS.setdefault(REVIEW_OVERDUE, "Access review overdue")
    rules.register_rule_provider(overdue_review_specs)


_install()
