"""Sign-in lock-out (django-axes): the username it counts, who is locked, and the unlock service.

Failures count per login and client address together (settings.AXES_LOCKOUT_PARAMETERS), so five
wrong passwords from one address lock that address out of that login, and nobody else.
"""

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits.services import record_event


def axes_username(request, credentials) -> str:
    """Count failures per e-mail address, whatever its case or surrounding spaces."""
    raw = ""
    if credentials:
        raw = credentials.get("username") or credentials.get("email") or ""
    if not raw and request is not None:
        raw = request.POST.get(settings.AXES_USERNAME_FORM_FIELD, "")
    return str(raw).strip().lower()[:254]


def _cooloff():
    value = getattr(settings, "AXES_COOLOFF_TIME", None)
    if value is None:
        return None
    if callable(value):
        return None  # not used here; PortalGov configures a timedelta
    if isinstance(value, int | float):
        from datetime import timedelta

        return timedelta(hours=value)
    return value


def locked_usernames(usernames) -> set[str]:
    """Which of these usernames (lower-case e-mails) are locked out right now."""
    from axes.models import AccessAttempt

    qs = AccessAttempt.objects.filter(
        username__in=[u.lower() for u in usernames], failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cooloff = _cooloff()
    if cooloff is not None:
        qs = qs.filter(attempt_time__gte=timezone.now() - cooloff)
    return set(qs.values_list("username", flat=True))


_unlocking: contextvars.ContextVar[bool] = contextvars.ContextVar("portalgov_unlocking", default=False)


@contextmanager
def _unlock_recorded_here():
    """login_unlock writes its own auth.unlocked; the post_delete receiver stays quiet meanwhile."""
    token = _unlocking.set(True)
    try:
        yield
    finally:
        _unlocking.reset(token)


def unlock_recorded_elsewhere() -> bool:
    return _unlocking.get()


def lockout_cooloff():
    return _cooloff()


@transaction.atomic
def login_unlock(*, user, acting_user, organization) -> int:
    """Clear the failed sign-ins that lock `user` out (from every address); audited in `organization`."""
    from axes.models import AccessAttempt
    from axes.utils import reset

    from accounts.services import login_managed_by_organization

    login_managed_by_organization(user=user, acting_user=acting_user, organization=organization)
    username = user.email.lower()
    addresses = sorted({a or "" for a in AccessAttempt.objects.filter(username=username)
                        .values_list("ip_address", flat=True)})
    with _unlock_recorded_here():
        removed = reset(username=username)
    record_event(
        "auth.unlocked", actor=acting_user, organization=organization, target=user,
        changes={"attempt_records_cleared": removed, "addresses": addresses[:20]},
    )
    return removed
