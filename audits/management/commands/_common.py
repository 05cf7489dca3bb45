import getpass

from django.apps import apps
from django.core.management.base import CommandError

from core.context import Actor


def bad_input(message: str) -> CommandError:
    """Bad input: a clear message and exit code 2 (nothing was done)."""
    return CommandError(message, returncode=2)


def organization_or_fail(slug):
    if not slug:
        return None
    # By name through the app registry: the audit layer imports no app above core (invariant 15).
    org = apps.get_model("accounts", "Organization").objects.filter(slug=slug).first()
    if org is None:
        raise bad_input(f"--org: there is no organization {slug!r}.")
    return org


def cli_actor(command: str) -> Actor:
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        who = "unknown"
    return Actor(kind="job", id=command, label=f"cli:{command} ({who})")
