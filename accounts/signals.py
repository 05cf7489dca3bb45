"""Sign-ins, sign-outs and failed sign-ins go to the audit log (HIPAA log-in monitoring)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audits.services import record_event
from core.context import Actor


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record_event("auth.login", actor=user, target=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record_event("auth.logout", actor=user, target=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never log the password; the e-mail tried is what an investigator needs.
    tried = str(credentials.get("username") or credentials.get("email") or "")[:254]
    record_event(
        "auth.login_failed",
        actor=Actor(kind="anonymous", label=tried or "anonymous"),
        object_type="accounts.user",
        object_label=tried,
    )
