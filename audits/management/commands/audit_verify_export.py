import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.exporting import verify_manifest
from audits.offline import verify_export as offline

from ._common import bad_input


class Command(BaseCommand):
    help = ("Check an exported file against its signed manifest with this deployment's keys. Auditors without "
            "PortalGov use verify_export.py, shipped with every export. Exit 0 intact, 1 altered, 2 bad input.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("manifest")

    def handle(self, *args, file, manifest, **options):
        try:
            data = Path(file).read_bytes()
            doc = json.loads(Path(manifest).read_text())
        except (OSError, ValueError) as exc:
            raise bad_input(f"cannot read the export or its manifest: {exc}")
        problems = verify_manifest(doc, [data])
        if not problems:
            # Row level, as the offline verifier does, as far as the export's format allows: every event's
            # canonical bytes rebuilt from its cells, every chain hash and link recomputed.
            report = offline.Report(self.stdout)
            offline.check_data(data, doc, report)
            problems = report.problems
        if problems:
            for p in problems:
                self.stdout.write(f"BAD: {p}")
            raise CommandError("The export does not match its manifest.", returncode=1)
        self.stdout.write(f"OK: {doc['row_count']} rows, sha256 {doc['sha256']}, covered by checkpoint "
                          f"{doc['checkpoint']['tree_size']}, manifest signed by key {doc['signature']['key_id']}.")
