"""Demo commands (seed_demo, demo_totp, ...) run only on a development or test deployment.

They create logins whose passwords and second factors are printed in this repository, or reveal a second
factor: on a production database that is a way in. One rule for all of them, called first in each handle().
"""

from django.conf import settings
from django.core.management.base import CommandError


def ensure_demo_allowed(command: str = "this demo command") -> None:
    """Refuse (CommandError: one line, no traceback) unless DEBUG or PORTALGOV_DEMO_COMMANDS_ALLOWED is on."""
    if settings.DEBUG or getattr(settings, "PORTALGOV_DEMO_COMMANDS_ALLOWED", False):
        return
    raise CommandError(
        f"{command} refused: DEBUG is off, so this looks like a production deployment, and demo data "
        "(known passwords and second factors) must never reach it. Run it with DEBUG=1 on a demo database."
    )
