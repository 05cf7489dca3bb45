from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits.services import verification_run
from core.context import acting_as

from ._common import bad_input, cli_actor, organization_or_fail


class Command(BaseCommand):
    help = ("Re-compute the audit log's hash chain and checkpoints. Exit 0 when intact, 1 naming the first bad "
            "event otherwise, 2 on bad input.")

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
        actor = cli_actor("audit_verify")
        with acting_as(actor):
            result = verification_run(organization=organization, checkpoint_note=note, triggered_by=actor.label)
        scope = f"organization {organization.slug}" if organization else "whole log"
        self.stdout.write(
            f"Checked {result.seals_checked} seals and {result.events_checked} events ({scope}); chain size "
            f"{result.tree_size}; {result.checkpoints_checked} checkpoints matched; {result.archived} archived; "
            f"{result.pending} waiting for the sealer."
        )
        if result.ok:
            self.stdout.write(self.style.SUCCESS("OK: the audit log is intact."))
            return
        self.stdout.write(self.style.ERROR(f"FIRST BAD: {result.first}"))
        for problem in result.problems[1:]:
            self.stdout.write(f"  also: {problem}")
        raise CommandError(f"Audit log verification failed: {result.first}", returncode=1)
