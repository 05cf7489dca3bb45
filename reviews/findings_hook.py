"""The overdue-review finding, produced by the findings engine like every other rule.

findings.rules has no way yet for another app to add a rule (requested in
notes/requests-from-reviews.md: `register_rule_provider`). Until it does, this module wraps the
rules function that findings.services calls, so the finding is opened and resolved by
findings_evaluate_organization like the rest (a finding created outside the engine would be resolved
by the next evaluation). When findings offers the hook, the first branch takes over by itself.
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

    labels = getattr(rules, "RULE_LABELS", None)
    if isinstance(labels, dict):
        labels.setdefault(REVIEW_OVERDUE, "Access review overdue")
    register = getattr(rules, "register_rule_provider", None)
    if register is not None:
        register(overdue_review_specs)
        return
    from findings import services

    if getattr(services.evaluate_rules, "_with_reviews", False):
        return
    original = services.evaluate_rules

    def evaluate_rules(organization, now):
        return [*original(organization, now), *overdue_review_specs(organization, now)]

    evaluate_rules._with_reviews = True
    services.evaluate_rules = evaluate_rules


_install()
