"""Dashboard cards for sign-in security (administrators only): one query for both."""

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts import roles
from accounts.mfa import ROLES_THAT_REQUIRE_MFA
from accounts.models import Membership, TOTPDevice


def security_cards(org, perms) -> list[dict]:
    if roles.MANAGE_MEMBERS not in perms:
        return []
    from axes.models import AccessAttempt

    needs = Q(role__in=list(ROLES_THAT_REQUIRE_MFA)) if not org.mfa_required_for_all else Q()
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    )
    # Both counts in one statement over the practice's memberships.
    counts = Membership.objects.filter(organization=org).aggregate(
        missing=Count("pk", filter=Q(needs, ~Exists(TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)))),
        locked=Count("pk", filter=Q(Exists(attempts.filter(username=OuterRef("user__email"))))),
    )
    missing, locked = counts["missing"], counts["locked"]
    return [
        {"label": "Logins that must set up MFA", "value": missing, "url_name": "security_overview",
         "tone": "bad" if missing else "ok"},
        {"label": "Locked-out logins", "value": locked, "url_name": "security_overview",
         "tone": "warn" if locked else "ok"},
    ]
