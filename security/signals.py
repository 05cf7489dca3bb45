"""Lock-outs go to the audit log (each failed sign-in is already recorded as auth.login_failed)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

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


@receiver(user_logged_in)
def _password_sign_in_needs_a_fresh_code(sender, request, user, **kwargs):
    """A new sign-in never inherits a second factor passed earlier in the same browser session."""
    from accounts.mfa import clear_session_verified

    session = getattr(request, "session", None)
    if session is not None:
        clear_session_verified(session)
