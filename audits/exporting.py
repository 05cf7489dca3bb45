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
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from . import chain
from .db import is_postgres
from .selectors import AuditFilter, filter_sql
from .signing import CheckpointError, parse_note, sign_bytes, verify_bytes

FORMATS = ("csv", "jsonl")
# The offline verifier: one file, Python and the cryptography package only; shipped with every export.
VERIFIER_PATH = Path(__file__).resolve().parent / "offline" / "verify_export.py"
VERIFIER_NAME = "verify_export.py"
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
#
# PostgreSQL renders every value (COPY is its fastest output path) with no formatting expressions
# beyond hex for the three hashes; Python only touches the stream in big chunks (a regex for formula
# cells in CSV, a per-line template for JSON Lines), hashes it and writes it.

# Integer columns: JSON numbers in JSON Lines (and never formula cells in CSV).
INT_COLUMNS = frozenset({"seq", "id", "txid", "organization_id", "actor_id", "content_type_id", "object_id",
                         "remote_port"})
HASH_COLUMNS = ("content_hash", "prev_hash", "chain_hash")
COPY_COLUMNS = ["seq", *chain.EVENT_COLUMNS, *HASH_COLUMNS]
TEXT_COLUMNS = [c for c in COPY_COLUMNS if c not in INT_COLUMNS and c not in HASH_COLUMNS and c != "timestamp"]
JSONL_FORMAT = "portalgov-audit-jsonl/v2"
# The embedded database's export (iter_python): the rows carry the display values, not the exact stored text
# and hashes of the COPY format, so the verifiers check its file by hash and signature only.
JSONL_FORMAT_PLAIN = "portalgov-audit-jsonl/v1"
CHUNK = 1 << 20


def _id_bounds(plan: ExportPlan, cur) -> tuple[int, int] | None:
    """The lowest and highest event id the filter selects (None: no filter, or nothing selected)."""
    where, params = filter_sql(plan.flt, "e")
    if where == "TRUE":
        return None
    cur.execute(f"SELECT MIN(e.id), MAX(e.id) FROM {chain.EVENT_TABLE} e WHERE {where}", params)  # noqa: S608  # nosec B608 -- constant table name; the filter's values are parameters
    low, high = cur.fetchone()
    return None if low is None else (low, high)


def _copy_select(plan: ExportPlan, bounds: tuple[int, int] | None = None) -> tuple[str, list]:
    frm, params = _from_where(plan)
    if bounds is not None:
        # Lets the merge join start and stop the seals' index scan at the selection's ids, so a filtered
        # export costs what it selects, not what the whole chain holds.
        frm += " AND s.event_id BETWEEN %s AND %s AND e.id BETWEEN %s AND %s"
        params = [*params, *bounds, *bounds]
    exprs = ["s.seq", *(f'e."{c}"' for c in chain.EVENT_COLUMNS),
             *(f"encode(s.{c}, 'hex') AS {c}" for c in HASH_COLUMNS)]
    # Event id order: a merge join of the events' and the seals' id indexes, no sort of wide rows.
    # Each row carries its seq; the offline verifier links rows by seq.
    return f"SELECT {', '.join(exprs)} {frm} ORDER BY e.id", params  # noqa: S608


def copy_statement(plan: ExportPlan, cur, bounds: tuple[int, int] | None = None) -> str:
    select, params = _copy_select(plan, bounds)
    query = chain.raw_cursor(cur).mogrify(select, params).decode()
    if plan.fmt == "csv":
        # Every text cell quoted, so a cell's first byte always follows `,"` or a line start + `"`: the
        # formula guard below can find cell starts in the byte stream without parsing CSV.
        quoted = ", ".join(f'"{c}"' for c in TEXT_COLUMNS)
        return f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE ({quoted}))"
    return f"COPY ({query}) TO STDOUT"


# CSV: a quoted cell that starts with = + - @ tab or CR gets a leading apostrophe, exactly as
# core.csvsafe does for every other export. A quote right after a comma or a line start opens a cell
# (inside a quoted cell every quote is doubled, so `,"` followed by one of these never occurs there).
# The regex starts with a literal quote (fast scan); the byte before each hit is checked in Python,
# and hits are rare.
_QUOTE_TRIGGER = re.compile(rb'"[=+\-@\t\r]')


def _neutralise(data: bytes) -> bytes:
    if not _QUOTE_TRIGGER.search(data):
        return data
    out, last = [], 0
    for match in _QUOTE_TRIGGER.finditer(data):
        at = match.start()
        if at and data[at - 1] in b",\n":
            out.append(data[last:at + 1])
            out.append(b"'")
            last = at + 1
    out.append(data[last:])
    return b"".join(out)


# JSON Lines: COPY text escapes (\\ \b \f \n \r \t) are JSON escapes too; \v and raw control bytes are not.
_JSON_FIX = re.compile(rb"\\[\\v]|[\x00-\x08\x0b-\x1f]")


def _json_fix(match):
    token = match.group()
    if token == b"\\\\":
        return token
    if token == b"\\v":
        return b"\\u000b"
    return b"\\u%04x" % token[0]


def _jsonl_template() -> bytes:
    parts = []
    for col in COPY_COLUMNS:
        parts.append(f'"{col}":%s' if col in INT_COLUMNS else f'"{col}":"%s"')
    return ("{" + ",".join(parts) + "}\n").encode()


_JSONL_TEMPLATE = _jsonl_template()


class _ChunkWriter(io.RawIOBase):
    """The raw end of a BufferedWriter that COPY writes rows into: sees the stream 1 MB at a time.

    It cuts each chunk at its last newline (the rest waits for the next chunk), rewrites it for the
    format, hashes and counts what it emits and passes it to `emit`."""

    def __init__(self, fmt: str, emit):
        super().__init__()
        self.fmt, self.emit = fmt, emit
        self.rest = b""
        self.sha = hashlib.sha256()
        self.size = 0
        self.rows = 0
        self.header = fmt == "csv"

    def writable(self):
        return True

    def write(self, data):
        n = len(data)
        data = self.rest + bytes(data)
        cut = data.rfind(b"\n")
        if cut < 0:
            self.rest = data
            return n
        # CSV keeps the newline with the rest: a cell start right after it is seen in the next chunk.
        head, self.rest = (data[:cut], data[cut:]) if self.fmt == "csv" else (data[:cut + 1], data[cut + 1:])
        self._out(head)
        return n

    def finish(self):
        if self.rest:
            self._out(self.rest)
            self.rest = b""

    def _out(self, data: bytes) -> None:
        if self.fmt == "csv":
            data = _neutralise(data)
        else:
            if b"\\v" in data or _has_raw_control(data):
                data = _JSON_FIX.sub(_json_fix, data)
            data = data.replace(b'"', b'\\"')
            lines = data.split(b"\n")
            lines.pop()
            self.rows += len(lines)
            template = _JSONL_TEMPLATE
            data = b"".join([template % tuple(line.split(b"\t")) for line in lines])
            data = data.replace(b'"\\N"', b"null").replace(b":\\N,", b":null,").replace(b":\\N}", b":null}")
        if data:
            self.sha.update(data)
            self.size += len(data)
            self.emit(data)


_KEEP_CONTROL = bytes(b for b in range(256) if not (b < 0x20 and b not in (0x09, 0x0A)))


def _has_raw_control(data: bytes) -> bool:
    """Any control byte other than COPY's tab and newline (translate is far faster than a regex scan)."""
    return bool(data.translate(None, _KEEP_CONTROL))


def copy_export(plan: ExportPlan, emit) -> tuple[int, str, int]:
    """Run the export's COPY and hand the finished bytes to emit(chunk). -> (bytes, sha256 hex, rows)."""
    sink = _ChunkWriter(plan.fmt, emit)
    buffered = io.BufferedWriter(sink, buffer_size=CHUNK)
    with transaction.atomic(), connection.cursor() as cur:
        chain.pg_canonical_session(cur)
        # A merge join over the id indexes: no hash of the seal table, no sort of the wide rows.
        with chain.planner_settings(cur, enable_hashjoin="off", enable_sort="off"):
            raw = chain.raw_cursor(cur)
            raw.copy_expert(copy_statement(plan, cur, _id_bounds(plan, cur)), buffered)
            rows = raw.rowcount  # COPY's own row count
        buffered.flush()
        sink.finish()
    return sink.size, sink.sha.hexdigest(), rows


def write_copy(plan: ExportPlan, out) -> tuple[int, str, int]:
    """Stream the export through COPY into `out` (binary file-like). -> (bytes, sha256 hex, rows)."""
    return copy_export(plan, out.write)


def stream_copy(plan: ExportPlan, *, queue_size: int = 8):
    """Yield the export's bytes for a streamed download, then (size, sha256 hex, rows) last.

    COPY pushes, a response pulls: a worker thread on its own connection runs the COPY and hands
    1 MB chunks over a bounded queue, so memory stays constant and a slow client slows the COPY."""
    import queue
    import threading

    chunks: queue.Queue = queue.Queue(maxsize=queue_size)
    done = object()
    stop = threading.Event()

    def put(item):
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
        raise _Abandoned

    def work():
        from django.db import connection as own  # this thread's own connection
        try:
            result = copy_export(plan, put)
            put((done, result))
        except _Abandoned:
            pass
        except BaseException as exc:  # noqa: BLE001 - re-raised in the response's thread
            try:
                put((done, exc))
            except _Abandoned:
                pass
        finally:
            own.close()

    thread = threading.Thread(target=work, name="audit-export", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, tuple) and item and item[0] is done:
                if isinstance(item[1], BaseException):
                    raise item[1]
                yield item[1]
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


class _Abandoned(Exception):
    """The download went away; the worker stops its COPY."""


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
    from core.csvsafe import safe_csv_writer

    buf = io.StringIO()
    writer = safe_csv_writer(buf, lineterminator="\n")
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
        "kind": "portalgov-audit-export-manifest/v2",
        "format": plan.fmt,
        "row_format": ((JSONL_FORMAT if is_postgres() else JSONL_FORMAT_PLAIN) if plan.fmt == "jsonl"
                       else "csv, formula cells neutralised"),
        "verifier": VERIFIER_NAME,
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
