"""Lock-outs and unlocks go to the audit log (each failed sign-in is already recorded as auth.login_failed)."""

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from audits.services import record_event
from core.context import Actor


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    from accounts.models import User

    user = User.objects.filter(email__iexact=username or "").first()
    record_event(
        "auth.locked_out",
        actor=Actor(kind="anonymous", label=(username or "anonymous")[:254]),
        organization=getattr(user, "last_organization_id", None),
        target=user,
        object_type="accounts.user",
        object_label=username or "",
        changes={"ip_address": ip_address},
    )


@receiver(post_delete, sender=AccessAttempt)
def _lock_cleared(sender, instance, **kwargs):
    """Every other way a lock goes away is recorded too, with whoever the context says acted: the
    Django admin (the operator), `manage.py axes_reset*` (the command), or the cool-off running out
    (system). Records below the limit (a successful sign-in clears them) are not locks: not recorded."""
    from accounts.models import User

    from .lockout import lockout_cooloff, unlock_recorded_elsewhere

    if unlock_recorded_elsewhere() or (instance.failures_since_start or 0) < settings.AXES_FAILURE_LIMIT:
        return
    cooloff = lockout_cooloff()
    expired = cooloff is not None and instance.attempt_time <= timezone.now() - cooloff
    username = instance.username or ""
    user = User.objects.filter(email__iexact=username).first() if username else None
    record_event(
        "auth.lockout_expired" if expired else "auth.unlocked",
        organization=getattr(user, "last_organization_id", None),
        target=user, object_type="accounts.user", object_label=username,
        changes={"ip_address": instance.ip_address, "failures": instance.failures_since_start,
                 "cleared_by": "cool-off" if expired else "admin or command line"},
    )


@receiver(user_logged_in)
def _password_sign_in_needs_a_fresh_code(sender, request, user, **kwargs):
    """A new sign-in never inherits a second factor passed earlier in the same browser session."""
    from accounts.mfa import clear_session_verified

    session = getattr(request, "session", None)
    if session is not None:
        clear_session_verified(session)
