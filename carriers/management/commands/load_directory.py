"""python manage.py load_directory [--data-dir DIR]: load the sourced reference directory.

All or nothing and idempotent; a corrupt file is refused with its name and line number."""

from django.core.management.base import BaseCommand, CommandError

from carriers.loader import DirectoryDataError
from carriers.services import load_reference_directory
from core.context import Actor, acting_as


class Command(BaseCommand):
    help = "Load carriers, portals, reach, account rules and MAC jurisdictions from the reference data."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", help="Directory holding the CSV files (default: PORTALGOV_SHARED_DATA_DIR).")

    def handle(self, *args, data_dir=None, **options):
        try:
            with acting_as(Actor.job("load_directory")):
                result = load_reference_directory(directory=data_dir)
        except DirectoryDataError as exc:
            raise CommandError(f"Nothing loaded. {exc}") from None
        self.stdout.write(result.summary())
