from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from access.account_import import portal_accounts_import
from accounts.models import Organization
from core.context import Actor, acting_as
from staff.roster_import import RosterImportError


class Command(BaseCommand):
    help = "Import an organization's existing portal accounts from CSV (all or nothing); clashes become findings."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument("file")

    def handle(self, *args, org, file, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug '{org}'.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        actor = Actor.job("import_portal_accounts")
        with acting_as(actor):
            try:
                result = portal_accounts_import(organization=organization, data=path.read_bytes(), acting_user=actor)
            except RosterImportError as exc:
                for line, message in exc.errors:
                    self.stderr.write(f"line {line}: {message}")
                raise CommandError(f"Nothing imported: {len(exc.errors)} problem(s) in {file}.")
        self.stdout.write(self.style.SUCCESS(
            f"Imported {file}: {result['created']} accounts recorded, {result['skipped']} already recorded."))
