from pathlib import Path

from django.core.management.base import BaseCommand

from audits.services import seal_and_checkpoint
from audits.signing import SigningKeyMissing, public_key_b64
from core.context import acting_as

from ._common import bad_input, cli_actor


class Command(BaseCommand):
    help = "Seal, sign a checkpoint of the chain head now, and optionally write it to a file kept off the database."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="write the signed checkpoint note to this file")
        parser.add_argument("--public-key", action="store_true", help="also print the verification public key")

    def handle(self, *args, output=None, public_key=False, **options):
        if output and Path(output).exists():
            raise bad_input(f"--output: {output} exists; choose a new file.")
        try:
            with acting_as(cli_actor("audit_checkpoint")):
                cp = seal_and_checkpoint(reason="on_demand")
        except SigningKeyMissing as exc:
            raise bad_input(str(exc))
        if output:
            Path(output).write_text(cp.note)
            self.stdout.write(f"Checkpoint {cp.tree_size} written to {output}.")
        else:
            self.stdout.write(cp.note)
        if public_key:
            self.stdout.write(f"public key (Ed25519, base64): {public_key_b64()}")
