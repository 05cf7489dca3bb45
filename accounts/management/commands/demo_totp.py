"""Print the current TOTP code of a demo login (DEBUG only): `python manage.py demo_totp <email>`."""

from django.core.management.base import BaseCommand, CommandError

from accounts.mfa import confirmed_device, current_code
from accounts.models import User
from audits.services import record_event
from core.context import Actor, acting_as
from core.demo_guard import ensure_demo_allowed


class Command(BaseCommand):
    help = "Print the current authenticator code of a user (DEBUG only; for the demo)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        ensure_demo_allowed("demo_totp")
        user = User.objects.filter(email__iexact=email).first()
        device = confirmed_device(user) if user else None
        if device is None:
            raise CommandError(f"{email} has no enrolled authenticator.")
        with acting_as(Actor.job("demo_totp")):
            record_event("security.field_revealed", target=user, message="TOTP code printed by demo_totp",
                         changes={"field": "accounts.TOTPDevice.secret"})
        self.stdout.write(current_code(device.secret))
