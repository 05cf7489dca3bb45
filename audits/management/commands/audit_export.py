import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from audits import exporting
from audits.db import is_postgres
from audits.selectors import FilterError, build_filter
from audits.services import export_prepare
from audits.signing import SigningKeyMissing
from core.context import acting_as

from ._common import bad_input, cli_actor, organization_or_fail


class Command(BaseCommand):
    help = ("Export audit events (sealed and covered by a signed checkpoint) as CSV or JSON Lines, with a signed "
            "manifest written next to the file (FILE.manifest.json).")

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=exporting.FORMATS)
        parser.add_argument("--since", default="", help="YYYY-MM-DD or ISO date-time (inclusive)")
        parser.add_argument("--until", default="", help="YYYY-MM-DD (whole day included) or ISO date-time (exclusive)")
        parser.add_argument("--org", help="organization slug")
        parser.add_argument("--action", default="", help="action, or a prefix ending in *")
        parser.add_argument("--actor", default="", help="who acted (part of their name or e-mail, as on the page)")
        parser.add_argument("--object-type", dest="object_type", default="", help="e.g. access.portalaccount")
        parser.add_argument("--object-id", dest="object_pk", default="", help="the object's id (with --object-type)")
        parser.add_argument("--search", dest="q", default="", help="free text, as the page's search box")
        parser.add_argument("--output", help="file to write (default: standard output, manifest on standard error)")
        parser.add_argument("--manifest", help="where to write the manifest (default: OUTPUT.manifest.json)")

    def handle(self, *args, **o):
        organization = organization_or_fail(o["org"])
        try:
            flt = build_filter(organization_id=organization.pk if organization else None, since=o["since"],
                               until=o["until"], action=o["action"], actor=o["actor"],
                               object_type=o["object_type"], object_pk=o["object_pk"], q=o["q"])
        except FilterError as exc:
            raise bad_input(str(exc))
        output = Path(o["output"]) if o["output"] else None
        manifest_path = Path(o["manifest"]) if o["manifest"] else (
            output.with_name(output.name + ".manifest.json") if output else None)
        for path in (output, manifest_path):
            if path is not None and path.exists():
                raise bad_input(f"{path} exists; choose a new file (nothing was exported).")
            if path is not None and not path.parent.is_dir():
                raise bad_input(f"{path.parent} is not a directory (nothing was exported).")
        actor = cli_actor("audit_export")
        try:
            with acting_as(actor):
                plan = export_prepare(fmt=o["format"], flt=flt, actor=actor)
        except SigningKeyMissing as exc:
            raise bad_input(str(exc))
        write = exporting.write_copy if is_postgres() else exporting.write_python
        if output:
            try:
                with open(output, "xb") as fh:
                    size, sha, rows = write(plan, fh)
            except BaseException:
                output.unlink(missing_ok=True)
                raise
        else:
            size, sha, rows = write(plan, sys.stdout.buffer)
            sys.stdout.flush()
        manifest = exporting.build_manifest(plan, size=size, sha256=sha, rows=rows, generated_by=actor.label)
        text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        if manifest_path:
            manifest_path.write_text(text)
            verifier = manifest_path.with_name(exporting.VERIFIER_NAME)
            verifier.write_bytes(exporting.VERIFIER_PATH.read_bytes())
            self.stderr.write(f"Exported {rows} events ({size} bytes, sha256 {sha}) to {output}; manifest {manifest_path}; "
                              f"check it anywhere with: python {verifier} {output} --key PUBLIC_KEY")
        else:
            self.stderr.write(text)
