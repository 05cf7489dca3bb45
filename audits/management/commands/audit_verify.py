from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.services import verification_run
from audits.signing import CheckpointError, CheckpointFormatError, parse_note
from core.context import acting_as

from ._common import bad_input, cli_actor, organization_or_fail


class Command(BaseCommand):
    help = ("Re-compute the audit log's hash chain and checkpoints. Exit 0 when intact, 1 naming the first bad "
            "event otherwise (a checkpoint file whose signature fails included), 2 on bad input (a file that is "
            "not a checkpoint of this log).")

    def add_arguments(self, parser):
        parser.add_argument("--org", help="verify this organization's events (and every link of the chain)")
        parser.add_argument("--checkpoint", help="a checkpoint file kept outside the database")

    def handle(self, *args, org=None, checkpoint=None, **options):
        organization = organization_or_fail(org)
        note = None
        if checkpoint:
            path = Path(checkpoint)
            if not path.is_file():
                raise bad_input(f"--checkpoint: {checkpoint} is not a readable file.")
            try:
                note = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise bad_input(f"--checkpoint: cannot read {checkpoint}: {exc}")
            try:
                parse_note(note)
            except CheckpointFormatError as exc:  # not a checkpoint of this log at all: bad input
                raise bad_input(f"--checkpoint: {checkpoint}: {exc}")
            except CheckpointError:
                pass  # a checkpoint whose signature fails is evidence of tampering: reported below, exit 1
        actor = cli_actor("audit_verify")
        with acting_as(actor):
            result = verification_run(organization=organization, checkpoint_note=note, triggered_by=actor.label)
        scope = f"organization {organization.slug}" if organization else "whole log"
        self.stdout.write(
            f"Checked {result.seals_checked} seals and {result.events_checked} events ({scope}); chain size "
            f"{result.tree_size}; {result.checkpoints_checked} checkpoints matched "
            f"({result.stored_checkpoints} stored{', plus the file' if note else ''}); {result.archived} archived; "
            f"{result.pending} waiting for the sealer."
        )
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"WARNING: {warning}"))
        if result.ok:
            self.stdout.write(self.style.SUCCESS("OK: the audit log is intact" + (
                " (but see the warnings above)." if result.warnings else ".")))
            return
        self.stdout.write(self.style.ERROR(f"FIRST BAD: {result.first}"))
        for problem in result.problems[1:]:
            self.stdout.write(f"  also: {problem}")
        raise CommandError(f"Audit log verification failed: {result.first}", returncode=1)
