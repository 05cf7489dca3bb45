"""Create an API credential from a script or while setting up an identity provider; prints the token once.

    python manage.py create_api_credential --org cascade --name "Okta" --scope scim
    python manage.py create_api_credential --org cascade --name "HR system" --scope view_staff --scope manage_staff

The same service as the Integrations page (integrations.services.credential_create): the same rules, and
the same audit event, here acting as job:create_api_credential.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Organization
from core.context import Actor, acting_as
from integrations.services import CREDENTIAL_PERMISSIONS, credential_create


def _scope(raw: str) -> str:
    raw = raw.strip()
    if raw in CREDENTIAL_PERMISSIONS:
        return raw
    if f"accounts.{raw}" in CREDENTIAL_PERMISSIONS:
        return f"accounts.{raw}"
    raise CommandError(f"Unknown scope {raw!r}. Choose from: "
                       + ", ".join(p.removeprefix("accounts.") for p in CREDENTIAL_PERMISSIONS) + ".")


class Command(BaseCommand):
    help = "Create an API credential for an organization and print its token (shown once, never stored)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--name", required=True, help="Which system uses it, e.g. 'Okta'.")
        parser.add_argument("--scope", action="append", required=True,
                            help="scim, view_staff, manage_staff, view_portal_accounts, ... (repeat for several).")
        parser.add_argument("--expires-in-days", type=int, default=None, help="Optional expiry, in days from now.")

    def handle(self, *args, org, name, scope, expires_in_days, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}.")
        scopes = [_scope(s) for s in scope]
        expires_at = None
        if expires_in_days is not None:
            if expires_in_days < 1 or expires_in_days > 3650:
                raise CommandError("--expires-in-days is between 1 and 3650.")
            expires_at = timezone.now() + datetime.timedelta(days=expires_in_days)
        try:
            with acting_as(Actor.job("create_api_credential")):
                credential, token = credential_create(organization=organization, acting_user=None, name=name,
                                                      permissions=scopes, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
        self.stderr.write(f"Created api:{credential.name} (key id {credential.key_id}) in {organization.slug} with "
                          f"{', '.join(credential.permissions)}. The token is shown once; keep it in the identity "
                          "provider or a password manager:")
        self.stdout.write(token)
