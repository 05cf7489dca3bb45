from django.core.management.base import BaseCommand

from audits.partitions import ArchiveError, archive_month, parse_month
from audits.signing import SigningKeyMissing
from core.context import acting_as

from ._common import bad_input, cli_actor


class Command(BaseCommand):
    help = ("Move one whole past month of audit events out of the database (JSON Lines + signed manifest + seals), "
            "after a checkpoint covers it. Run as the retention role. See docs/audit-log.md.")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--output", required=True, help="directory for the archive files")
        parser.add_argument("--keep-partition", action="store_true", help="write the files but do not drop the month")

    def handle(self, *args, month, output, keep_partition=False, **options):
        actor = cli_actor("audit_archive")
        try:
            with acting_as(actor):
                info = archive_month(month=parse_month(month), output_dir=output, actor=actor, drop=not keep_partition)
        except (ArchiveError, SigningKeyMissing) as exc:
            raise bad_input(str(exc))
        self.stdout.write(f"Archived {info['events']} events of {info['month']} to {info['file']} "
                          f"(sha256 {info['sha256']}, seq {info['first_seq']}..{info['last_seq']}).")
