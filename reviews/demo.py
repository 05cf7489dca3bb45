"""Demo data: the current quarter's review in progress for the demo practice (idempotent)."""

from django.db import transaction

from core.context import Actor, acting_as

from .launch import campaign_launch


def seed_demo_review(organization):
    """Launch this quarter's campaign for `organization`; running it again changes nothing."""
    actor = Actor.job("seed_demo")
    with acting_as(actor), transaction.atomic():
        return campaign_launch(organization=organization, acting_user=actor)
