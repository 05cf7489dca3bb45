"""Exports of the current filter as CSV or JSON Lines, with a signed manifest.

Only sealed events covered by a signed checkpoint are exported (the export seals and checkpoints
first), so every exported row can be verified. The manifest holds the filter, the row count, the
SHA-256 of the file, the covering checkpoint (its signed note) and an Ed25519 signature over the
manifest itself. The export is recorded as an audit event before the first byte leaves.

Two writers: PostgreSQL COPY (management command; C speed, constant memory) and a Python writer over
a server-side cursor (the web download, and SQLite).
"""

import base64
import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from . import chain
from .db import is_postgres
from .selectors import AuditFilter, filter_sql
from .signing import CheckpointError, parse_note, sign_bytes, verify_bytes

FORMATS = ("csv", "jsonl")
EXPORT_COLUMNS = ["seq", *chain.EVENT_COLUMNS, "content_hash", "chain_hash"]
_JSON_COLS = chain.JSON_COLUMNS


class ExportError(ValueError):
    pass


@dataclass
class ExportPlan:
    fmt: str
    flt: AuditFilter
    tree_size: int
    checkpoint_note: str
    root: bytes
    event_id: int  # the audit event that records this export


def _from_where(plan: ExportPlan) -> tuple[str, list]:
    where, params = filter_sql(plan.flt, "e")
    return (
        f"FROM {chain.SEAL_TABLE} s JOIN {chain.EVENT_TABLE} e ON e.id = s.event_id "
        f"WHERE s.seq <= %s AND {where}",
        [plan.tree_size, *params],
    )


def count_rows(plan: ExportPlan) -> int:
    frm, params = _from_where(plan)
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) {frm}", params)  # noqa: S608
        return cur.fetchone()[0]


class _HashingWriter:
    """File-like sink: hashes and counts bytes on their way to `out` (constant memory)."""

    def __init__(self, out):
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        data = bytes(data)
        self.sha.update(data)
        self.size += len(data)
        self.out.write(data)
        return len(data)


# --- PostgreSQL COPY writer -------------------------------------------------------------------

def _copy_select(plan: ExportPlan) -> tuple[str, list]:
    frm, params = _from_where(plan)
    ts = """to_char(e."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    exprs = []
    for col in EXPORT_COLUMNS:
        if col == "seq":
            expr = "s.seq"
        elif col == "timestamp":
            expr = ts
        elif col in ("content_hash", "chain_hash"):
            expr = f"encode(s.{col}, 'hex')"
        elif col in _JSON_COLS:
            expr = f"e.{col}"
        elif col == "remote_addr":
            expr = "host(e.remote_addr)"
        else:
            expr = f'e."{col}"'
        exprs.append((col, expr))
    if plan.fmt == "csv":
        select = ", ".join(f'{expr} AS "{col}"' for col, expr in exprs)
    else:
        select = "json_build_object(" + ", ".join(f"'{col}', {expr}" for col, expr in exprs) + ")::text"
    return f"SELECT {select} {frm} ORDER BY s.seq", params  # noqa: S608


def write_copy(plan: ExportPlan, out) -> tuple[int, str, int]:
    """Stream the export through COPY into `out` (binary file-like). -> (bytes, sha256 hex, rows)."""
    select, params = _copy_select(plan)
    writer = _HashingWriter(out)
    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor
        query = raw.mogrify(select, params).decode()
        if plan.fmt == "csv":
            copy = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"
        else:
            # CSV mode with a quote and delimiter that never occur: each JSON text goes out verbatim.
            copy = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
        raw.copy_expert(copy, writer, size=256 * 1024)
    return writer.size, writer.sha.hexdigest(), count_rows(plan)


# --- Python writer (server-side cursor) --------------------------------------------------------

def _py_value(col, value):
    if value is None:
        return None
    if col in ("content_hash", "chain_hash"):
        return bytes(value).hex()
    if col in _JSON_COLS:
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def iter_python(plan: ExportPlan, *, batch: int = 2000):
    """Yield the export as byte chunks (used by the streamed download)."""
    frm, params = _from_where(plan)
    cols = f"s.seq, {chain.select_columns('e')}, s.content_hash, s.chain_hash"
    sql = f"SELECT {cols} {frm} ORDER BY s.seq"  # noqa: S608
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if plan.fmt == "csv":
        writer.writerow(EXPORT_COLUMNS)
    with transaction.atomic():
        cur = connection.chunked_cursor() if is_postgres() else connection.cursor()
        try:
            cur.execute(sql, params)
            while True:
                rows = cur.fetchmany(batch)
                if not rows:
                    break
                for r in rows:
                    values = [_py_value(c, v) for c, v in zip(EXPORT_COLUMNS, r, strict=True)]
                    if plan.fmt == "csv":
                        writer.writerow(["" if v is None else (json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v)
                                         for v in values])
                    else:
                        buf.write(json.dumps(dict(zip(EXPORT_COLUMNS, values, strict=True)), default=str) + "\n")
                yield buf.getvalue().encode()
                buf.seek(0)
                buf.truncate()
        finally:
            cur.close()
    if buf.tell():
        yield buf.getvalue().encode()


def write_python(plan: ExportPlan, out) -> tuple[int, str, int]:
    writer = _HashingWriter(out)
    for chunk in iter_python(plan):
        writer.write(chunk)
    return writer.size, writer.sha.hexdigest(), count_rows(plan)


# --- manifest ----------------------------------------------------------------------------------

def _canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def build_manifest(plan: ExportPlan, *, size: int, sha256: str, rows: int, generated_by: str) -> dict:
    manifest = {
        "kind": "portalgov-audit-export-manifest/v1",
        "format": plan.fmt,
        "filter": plan.flt.as_dict(),
        "row_count": rows,
        "bytes": size,
        "sha256": sha256,
        "checkpoint": {"tree_size": plan.tree_size, "root": base64.b64encode(plan.root).decode(),
                       "note": plan.checkpoint_note},
        "export_event_id": plan.event_id,
        "generated_at": timezone.now().astimezone(dt.UTC).isoformat(),
        "generated_by": generated_by,
    }
    signature, key_id = sign_bytes(_canonical(manifest))
    manifest["signature"] = {"alg": "ed25519", "key_id": key_id, "value": signature}
    return manifest


def verify_manifest(manifest: dict, data_chunks) -> list[str]:
    """Offline check of an export against its manifest; returns problems (empty when it verifies)."""
    problems = []
    body = {k: v for k, v in manifest.items() if k != "signature"}
    sig = (manifest.get("signature") or {}).get("value", "")
    try:
        verify_bytes(_canonical(body), sig)
    except CheckpointError as exc:
        problems.append(f"manifest signature: {exc}")
    try:
        cp = parse_note(manifest["checkpoint"]["note"])
        if cp.tree_size != manifest["checkpoint"]["tree_size"] or base64.b64encode(cp.root).decode() != manifest["checkpoint"]["root"]:
            problems.append("the manifest's checkpoint fields disagree with its signed note")
    except (CheckpointError, KeyError, TypeError) as exc:
        problems.append(f"checkpoint: {exc}")
    sha, size, data = hashlib.sha256(), 0, bytearray()
    for chunk in data_chunks:
        sha.update(chunk)
        size += len(chunk)
        data += chunk
    if sha.hexdigest() != manifest.get("sha256"):
        problems.append("the file's SHA-256 differs from the manifest (the file was changed)")
    if size != manifest.get("bytes"):
        problems.append(f"the file has {size} bytes, the manifest says {manifest.get('bytes')}")
    text = data.decode("utf-8", errors="replace")
    rows = (sum(1 for _ in csv.reader(io.StringIO(text))) - 1) if manifest.get("format") == "csv" else \
        sum(1 for line in text.splitlines() if line.strip())
    if rows != manifest.get("row_count"):
        problems.append(f"the file holds {rows} rows, the manifest says {manifest.get('row_count')}")
    return problems
