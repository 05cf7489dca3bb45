"""Dashboard cards for sign-in security (administrators only): one query each."""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts import roles
from accounts.mfa import ROLES_THAT_REQUIRE_MFA
from accounts.models import Membership, TOTPDevice


def security_cards(org, perms) -> list[dict]:
    if roles.MANAGE_MEMBERS not in perms:
        return []
    from axes.models import AccessAttempt

    needs = Q(role__in=list(ROLES_THAT_REQUIRE_MFA)) if not org.mfa_required_for_all else Q()
    missing = (
        Membership.objects.filter(needs, organization=org)
        .exclude(Exists(TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)))
        .count()
    )
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    )
    locked = Membership.objects.filter(organization=org).filter(
        Exists(attempts.filter(username=OuterRef("user__email")))
    ).count()
    return [
        {"label": "Logins that must set up MFA", "value": missing, "url_name": "security_overview",
         "tone": "bad" if missing else "ok"},
        {"label": "Locked-out logins", "value": locked, "url_name": "security_overview",
         "tone": "warn" if locked else "ok"},
    ]
