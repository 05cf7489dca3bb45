"""Export formats portalgov-audit-csv/v2 and portalgov-audit-jsonl/v3 (issue 12): no content hashes, base64 chain
hashes, the whole log in chain order without per-row hashes ("chain" layout) or a filter's rows each with its
hashes ("selection" layout). The offline verifier rebuilds every event's canonical bytes from the cells, finds a
tampered cell even when the file hash and the manifest were redone, and still checks the older formats."""

import base64
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from audits import exporting
from audits.models import AuditCheckpoint
from audits.offline import verify_export as offline
from audits.selectors import AuditFilter, build_filter
from audits.services import record_event
from audits.signing import public_key_b64, sign_bytes

from ._export_rows import assert_stretch_names_row, csv_rows, jsonl_rows, run_export
from .conftest import seal_all

pytestmark = pytest.mark.django_db(transaction=True)

TRICKY = "tab\there, newline\nthere, back\\slash, \"quote\", vtab\x0bbell\x07 end\\N \\v, comma"


@pytest.fixture
def log(world):
    for i in range(4):
        record_event("portal_account.updated", organization=world.org, object_type="access.portalaccount",
                     object_id=str(i), object_label=f"Account {i}", changes={"status": ["active", f"s{i}"]})
    record_event("staff.updated", organization=world.org, object_label="'=1+1", message="=2")
    record_event("staff.updated", organization=world.org, object_label="tricky", message=TRICKY,
                 changes={"name": ["-1", TRICKY]})
    record_event("staff.updated", organization=world.other_org, object_label="other practice")
    seal_all()
    return world


_export = run_export


def _verify(path, manifest_path=None):
    buf = io.StringIO()
    args = [str(path), "--key", public_key_b64()]
    if manifest_path:
        args += ["--manifest", str(manifest_path)]
    return offline.main(args, out=buf), buf.getvalue()


def _resign(manifest_path, data: bytes) -> None:
    """Redo the manifest for edited data (as someone holding the signing key could): only the rows' own
    hashes can then show the edit."""
    body = {k: v for k, v in json.loads(manifest_path.read_text()).items() if k != "signature"}
    body.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    signature, key_id = sign_bytes(exporting._canonical(body))
    manifest_path.write_text(json.dumps({**body, "signature": {"alg": "ed25519", "key_id": key_id,
                                                                "value": signature}}))


def _rows(fmt, data):
    return csv_rows(data) if fmt == "csv" else jsonl_rows(data)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_whole_log_is_the_chain_layout_and_verifies_offline(log, tmp_path, fmt):
    out, manifest_path = _export(tmp_path, fmt)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["row_format"] == (exporting.CSV_FORMAT if fmt == "csv" else exporting.JSONL_FORMAT)
    assert manifest["layout"] == "chain"
    assert manifest["canonical"] == (exporting.CANONICAL_PGCOPY if connection.vendor == "postgresql"
                                     else exporting.CANONICAL_PLAIN)
    rows = _rows(fmt, out.read_bytes())
    assert list(rows[0]) == exporting.CHAIN_COLUMNS  # no seq, no content or previous hash
    assert len(rows) == manifest["row_count"] == manifest["checkpoint"]["tree_size"]
    code, text = _verify(out)
    assert code == 0, text
    assert "whole chain" in text and "OK:" in text


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_filter_is_the_selection_layout_with_base64_hashes(log, tmp_path, fmt):
    out, manifest_path = _export(tmp_path, fmt, org="cascade", action="portal_account.*")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["layout"] == "selection"
    rows = _rows(fmt, out.read_bytes())
    assert list(rows[0]) == exporting.SELECTION_COLUMNS
    assert [r["object_label"] for r in rows] == [f"Account {i}" for i in range(4)]
    assert all(len(base64.b64decode(r["chain_hash"].lstrip("'"))) == 32 for r in rows)
    code, text = _verify(out)
    assert code == 0, text
    assert "selection of the chain" in text


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_tampered_cell_is_named_even_with_a_redone_manifest(log, tmp_path, fmt):
    out, manifest_path = _export(tmp_path, fmt, org="cascade")
    data = out.read_bytes()
    edited = data.replace(b"Account 2", b"Account 7", 1)
    assert edited != data
    out.write_bytes(edited)
    _resign(manifest_path, edited)
    code, text = _verify(out)
    target = next(i for i, r in enumerate(_rows(fmt, edited), start=1) if r["object_label"] == "Account 7")
    row = _rows(fmt, edited)[target - 1]
    assert code == 1
    assert f"FIRST BAD row {target} (seq {row['seq']}, event #{row['id']}): its values no longer match" in text
    with pytest.raises(CommandError) as exc:  # the in-app check does the same row checks
        call_command("audit_verify_export", str(out), str(manifest_path))
    assert exc.value.returncode == 1


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_tampered_cell_in_the_whole_chain_is_found(log, tmp_path, fmt):
    out, manifest_path = _export(tmp_path, fmt)
    edited = out.read_bytes().replace(b"other practice", b"other practicE", 1)
    out.write_bytes(edited)
    _resign(manifest_path, edited)
    code, text = _verify(out)
    target = next(i for i, r in enumerate(_rows(fmt, edited), start=1) if r["object_label"] == "other practicE")
    assert code == 1
    assert_stretch_names_row(text, target)


def test_csv_guards_formulas_and_the_verifier_takes_exactly_one_apostrophe_off(log, tmp_path):
    out, _ = _export(tmp_path, "csv", org="cascade")
    text = out.read_bytes().decode()
    assert "\"''=1+1\"" in text and "\"'=2\"" in text  # a stored leading apostrophe keeps its own
    rows = csv_rows(text)
    assert {r["object_label"] for r in rows} >= {"''=1+1", "tricky"}
    tricky = next(r for r in rows if r["object_label"] == "tricky")
    assert tricky["message"] == TRICKY and json.loads(tricky["changes"]) == {"name": ["-1", TRICKY]}
    empty = next(r for r in rows if r["message"] == "'=2")
    assert empty["changes_text"] == "" and empty["cid"] is None  # "" and NULL stay apart
    code, report = _verify(out)
    assert code == 0, report


def test_jsonl_values_are_the_exact_stored_text(log, tmp_path):
    out, _ = _export(tmp_path, "jsonl", org="cascade")
    lines = out.read_bytes().splitlines()
    assert json.loads(lines[0]) == exporting.SELECTION_COLUMNS
    assert all(v is None or isinstance(v, str) for line in lines[1:] for v in json.loads(line))
    rows = jsonl_rows(out.read_bytes())
    assert next(r for r in rows if r["object_label"] == "tricky")["message"] == TRICKY


def _old_v2(data: bytes) -> bytes:
    """The same rows in the older portalgov-audit-jsonl/v2 (objects, hex content/prev/chain hashes)."""
    out = []
    for row in jsonl_rows(data):
        values = [row[c] for c in offline.EVENT_COLUMNS]
        content = hashlib.sha256(offline._pgcopy_bytes([None if v is None else str(v) for v in values])).digest()
        obj = {"seq": row["seq"], **{c: row[c] for c in offline.EVENT_COLUMNS}, "content_hash": content.hex(),
               "prev_hash": base64.b64decode(row["prev_hash"]).hex(), "chain_hash": base64.b64decode(row["chain_hash"]).hex()}
        out.append(json.dumps(obj) + "\n")
    return "".join(out).encode()


@pytest.mark.postgres
def test_older_jsonl_v2_exports_still_verify_row_by_row(log, tmp_path):
    out, manifest_path = _export(tmp_path, "jsonl", org="cascade")
    old = _old_v2(out.read_bytes())
    manifest = json.loads(manifest_path.read_text())
    for key in ("layout", "canonical", "chain_mark"):
        manifest.pop(key)
    manifest.update(row_format=offline.JSONL_FORMAT_V2)
    manifest_path.write_text(json.dumps(manifest))
    out.write_bytes(old)
    _resign(manifest_path, old)
    code, text = _verify(out)
    assert code == 0, text
    edited = old.replace(b"Account 2", b"Account 7", 1)
    out.write_bytes(edited)
    _resign(manifest_path, edited)
    code, text = _verify(out)
    assert code == 1 and "its values no longer match its content hash" in text


def test_older_csv_exports_are_checked_by_hash_and_signature(log, tmp_path):
    out, manifest_path = _export(tmp_path, "csv", org="cascade")
    manifest = json.loads(manifest_path.read_text())
    for key in ("layout", "canonical", "chain_mark"):
        manifest.pop(key)
    manifest.update(row_format="csv, formula cells neutralised")
    manifest_path.write_text(json.dumps(manifest))
    _resign(manifest_path, out.read_bytes())
    code, text = _verify(out)
    assert code == 0 and "older format" in text, text
    out.write_bytes(out.read_bytes().replace(b"Account 2", b"Account 7", 1))
    code, text = _verify(out)
    assert code == 1 and "SHA-256 differs" in text


def _plan(fmt, flt):
    cp = AuditCheckpoint.objects.order_by("-tree_size").first()
    return exporting.ExportPlan(fmt=fmt, flt=flt, tree_size=cp.tree_size, checkpoint_note=cp.note,
                                root=bytes(cp.root), event_id=0)


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_download_writes_the_same_bytes_as_the_command_in_any_batch_size(log, tmp_path, fmt, client_for):
    call_command("audit_checkpoint")
    for flt in (AuditFilter(), build_filter(organization_id=log.org.pk)):
        plan = _plan(fmt, flt)
        whole = io.BytesIO()
        size, sha, rows = exporting.write_copy(plan, whole)
        for batch_rows in (1, 2, 1000):
            parts = list(exporting.iter_copy(plan, batch_rows=batch_rows))
            assert parts[-1] == (size, sha, rows)
            assert b"".join(parts[:-1]) == whole.getvalue()
    response = client_for(log.carol).get(reverse("audit_export", args=["cascade"]), {"format": fmt})
    content = b"".join(response.streaming_content)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("manifest.json"))
    assert manifest["layout"] == "selection"  # the page always filters by the organization
    zipped = tmp_path / "audit.zip"
    zipped.write_bytes(content)
    code, text = _verify(zipped)
    assert code == 0, text
