"""Dashboard cards for access reviews (one query each, behind the permission that opens the page)."""

from accounts import roles

from .models import ReviewCampaign
from .selectors import open_items_count


def review_cards(request, facts=None) -> list[dict]:
    """facts (core.dashboard.DashboardFacts): the page's own read of the waiting items and overdue campaigns."""
    org, perms = request.organization, request.org_perms
    cards = []
    if roles.RUN_ACCESS_REVIEWS in perms:
        waiting = facts.waiting_reviews_count if facts is not None else open_items_count(user=request.user,
                                                                                         organization=org)
        cards.append({"label": "Review items waiting for you", "value": waiting, "url_name": "reviews_queue",
                      "tone": "warn" if waiting else "ok"})
    if {roles.RUN_ACCESS_REVIEWS, roles.VIEW_AUDIT_LOG} & perms:
        overdue = facts.overdue_campaigns_count if facts is not None else ReviewCampaign.objects.filter(
            organization=org, status=ReviewCampaign.Status.OPEN, due_on__lt=request_today()).count()
        cards.append({"label": "Overdue access reviews", "value": overdue, "url_name": "reviews_history",
                      "tone": "bad" if overdue else "ok"})
    return cards


def request_today():
    from django.utils import timezone

    return timezone.localdate()
