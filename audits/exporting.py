"""Exports of the current filter as CSV or JSON Lines, with a signed manifest.

Only sealed events covered by a signed checkpoint are exported (the export seals and checkpoints
first), so every exported row can be verified. The manifest holds the filter, the row count, the
SHA-256 of the file, the covering checkpoint (its signed note) and an Ed25519 signature over the
manifest itself. The export is recorded as an audit event before the first byte leaves.

Row format (CSV_FORMAT, JSONL_FORMAT; see "the row format" below): seq, every stored column and the
chain hash, prev_hash only where the row before is not the chain predecessor, hashes in base64; the
offline verifier (audits/offline/verify_export.py) rebuilds each event's canonical bytes from its cells.

Writers: PostgreSQL COPY (the management command: one COPY; the web download: one COPY per range of ids,
in the response's thread), both at C speed in constant memory, and a Python writer over a cursor for
SQLite (same format).
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


# --- the row format ----------------------------------------------------------------------------
#
# Two layouts, named by the manifest's "layout" and by the header (the first line: CSV's header row, or a
# JSON array of the column names in JSON Lines). Neither writes content hashes: the offline verifier
# rebuilds each event's canonical bytes from its cells (on PostgreSQL its COPY text line).
#
# - "chain" (an unfiltered export, while no month is archived): every sealed event up to the checkpoint,
#   in chain order (seq 1, 2, ...: the sealer's (txid, id) order), no seq and no per-row hashes: the
#   verifier chains the rows from the genesis and must arrive at the signed checkpoint's root. The
#   chain_hash cell is filled on rows whose event id is a multiple of CHAIN_MARK (empty elsewhere), so a
#   verifier can say between which two marks a row was altered. No join with the seals: the read costs
#   what a raw COPY of the events costs.
# - "selection" (a filter, or archived months): the rows the filter selects, in event id order, each with
#   its seq, prev_hash and chain_hash (base64): each row is checked on its own, and rows of consecutive seq
#   are linked.
#
# Cells: CSV as PostgreSQL's COPY (FORMAT csv) writes them, text and hash cells always quoted (so the
# formula guard finds cell starts in the byte stream), NULL a bare empty cell; a cell that starts with
# = + - @ tab or CR (after any apostrophes) gets one more leading apostrophe, so a spreadsheet never runs it
# and the verifier can take it off again without doubt. JSON Lines: every value is its exact stored text
# as a JSON string (integers too), NULL is null.

CSV_FORMAT = "portalgov-audit-csv/v2"
JSONL_FORMAT = "portalgov-audit-jsonl/v3"
LAYOUT_CHAIN, LAYOUT_SELECTION = "chain", "selection"
CHAIN_COLUMNS = [*chain.EVENT_COLUMNS, "chain_hash"]
SELECTION_COLUMNS = ["seq", *chain.EVENT_COLUMNS, "prev_hash", "chain_hash"]
CHAIN_MARK = 1000
# How the verifier rebuilds an event's canonical bytes (audits/chain.py): PostgreSQL's COPY text line, or the
# embedded database's length-prefixed values (the Python writer renders the values exactly as the sealer did).
CANONICAL_PGCOPY = chain.PG_CANONICAL_VERSION.decode().strip()
CANONICAL_PLAIN = chain.CANONICAL_VERSION.decode().strip()

INT_COLUMNS = frozenset({"seq", "id", "txid", "organization_id", "actor_id", "content_type_id", "object_id",
                         "remote_port"})
# Quoted in CSV (text, JSON text and hashes: any of them could start with a formula character).
QUOTED_COLUMNS = [c for c in SELECTION_COLUMNS if c not in INT_COLUMNS and c not in ("timestamp", "remote_addr")]
CHUNK = 1 << 20
BATCH_ROWS = 16384  # rows per COPY of the streamed download: about 5 MB in memory at a time


def layout_of(plan: ExportPlan) -> str:
    from .models import AuditArchive

    where, _params = filter_sql(plan.flt, "e")
    if where == "TRUE" and not AuditArchive.objects.exists():
        return LAYOUT_CHAIN
    return LAYOUT_SELECTION


def columns_of(layout: str) -> list[str]:
    return CHAIN_COLUMNS if layout == LAYOUT_CHAIN else SELECTION_COLUMNS


def header_line(fmt: str, layout: str) -> bytes:
    cols = columns_of(layout)
    return ((",".join(cols) if fmt == "csv" else json.dumps(cols, separators=(",", ":"))) + "\n").encode()


def _id_bounds(plan: ExportPlan, cur) -> tuple[int, int] | None:
    """The lowest and highest event id the filter selects (None: nothing selected)."""
    where, params = filter_sql(plan.flt, "e")
    cur.execute(f"SELECT MIN(e.id), MAX(e.id) FROM {chain.EVENT_TABLE} e WHERE {where}", params)  # noqa: S608  # nosec B608 -- constant table name; the filter's values are parameters
    low, high = cur.fetchone()
    return None if low is None else (low, high)


def _chain_end(plan: ExportPlan, cur) -> tuple[int, int] | None:
    """(txid, event id) of the checkpoint's last seal: the chain layout reads the events up to that key."""
    cur.execute(f"SELECT txid, event_id FROM {chain.SEAL_TABLE} WHERE seq = %s", [plan.tree_size])  # noqa: S608  # nosec B608 -- constant table name
    row = cur.fetchone()
    return None if row is None else (row[0], row[1])


def _chain_select(low: tuple[int, int] | None, high: tuple[int, int]) -> tuple[str, list]:
    """The chain layout's rows with (txid, id) in (low, high], in the sealer's order (the (txid, id) index)."""
    cols = chain.select_columns("e")
    mark = (f"CASE WHEN e.id %% {CHAIN_MARK} = 0 THEN (SELECT encode(s.chain_hash, 'base64') FROM "  # noqa: S608  # nosec B608 -- constant table name and integer constant
            f"{chain.SEAL_TABLE} s WHERE s.event_id = e.id) END AS chain_hash")
    where, params = "(e.txid, e.id) <= (%s, %s)", list(high)
    if low is not None:
        where += " AND (e.txid, e.id) > (%s, %s)"
        params += list(low)
    sql = f"SELECT {cols}, {mark} FROM {chain.EVENT_TABLE} e WHERE {where} ORDER BY e.txid, e.id"  # noqa: S608  # nosec B608 -- constant columns, table and bounds clauses; values are parameters
    return sql, params


def _selection_select(plan: ExportPlan, bounds: tuple[int, int]) -> tuple[str, list]:
    """The selection layout's rows with event ids in bounds, in id order: a merge join of the events' and
    the seals' id indexes, started and stopped at the bounds (no hash of the seals, no sort of wide rows)."""
    frm, params = _from_where(plan)
    frm += " AND s.event_id BETWEEN %s AND %s AND e.id BETWEEN %s AND %s"
    cols = chain.select_columns("e")
    hashes = "encode(s.prev_hash, 'base64') AS prev_hash, encode(s.chain_hash, 'base64') AS chain_hash"
    sql = f"SELECT s.seq, {cols}, {hashes} {frm} ORDER BY e.id"  # noqa: S608  # nosec B608 -- constant columns and tables; the filter's values are parameters
    return sql, [*params, *bounds, *bounds]


def _copy_statement(cur, fmt: str, layout: str, select: str, params: list) -> str:
    query = chain.raw_cursor(cur).mogrify(select, params).decode()
    if fmt != "csv":
        return f"COPY ({query}) TO STDOUT"
    names = ", ".join(f'"{c}"' for c in QUOTED_COLUMNS if c in columns_of(layout))
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE ({names}))"


# CSV: a quoted cell that starts with = + - @ tab or CR, after any apostrophes, gets one more apostrophe (as
# core.csvsafe does for every other export, and unambiguous: the verifier takes exactly one off such a
# cell). A quote right after a comma or a line start opens a cell (inside a quoted cell every quote is
# doubled, so `,"` followed by one of these never occurs there). The regex starts with a literal quote (fast
# scan); the byte before each hit is checked in Python, and hits are rare.
_QUOTE_TRIGGER = re.compile(rb"\"'*[=+\-@\t\r]")
_QUOTE_NEXT = re.compile(rb"\"[=+\-@\t\r']")  # the quick test: a character class is the regex's fast path


def _neutralise(data: bytes) -> bytes:
    if not _QUOTE_NEXT.search(data) or not _QUOTE_TRIGGER.search(data):
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


def csv_guard(value: str) -> str:
    """The same guard for one value (the Python writer)."""
    stripped = value.lstrip("'")
    return "'" + value if stripped[:1] in ("=", "+", "-", "@", "\t", "\r") and stripped else value


# JSON Lines from COPY text, in bulk (no per-row Python): COPY's escapes (\\ \b \f \n \r \t) are JSON escapes
# too; \v and raw control bytes are not, and quotes need a backslash. Then tabs and newlines become the
# array's separators, and "\N" (NULL; a backslash from the data is always doubled) becomes null.
_JSON_FIX = re.compile(rb"\\[\\v]|[\x00-\x08\x0b-\x1f]")
_KEEP_CONTROL = bytes(b for b in range(256) if not (b < 0x20 and b not in (0x09, 0x0A)))


def _json_fix(match):
    token = match.group()
    if token == b"\\\\":
        return token
    if token == b"\\v":
        return b"\\u000b"
    return b"\\u%04x" % token[0]


def _jsonl_lines(data: bytes) -> bytes:
    """Whole COPY text lines -> JSON Lines rows (arrays of strings and nulls)."""
    if not data:
        return data
    if b"\\v" in data or data.translate(None, _KEEP_CONTROL):
        data = _JSON_FIX.sub(_json_fix, data)
    data = data.replace(b'"', b'\\"').replace(b"\t", b'","').replace(b"\n", b'"]\n["')
    return (b'["' + data[:-2]).replace(b'"\\N"', b"null")


class _Output:
    """Hashes, counts and emits the export's bytes (CSV through the formula guard, JSON Lines rewritten)."""

    def __init__(self, fmt: str, emit):
        self.convert = _neutralise if fmt == "csv" else _jsonl_lines
        self.emit = emit
        self.sha = hashlib.sha256()
        self.size = 0

    def raw(self, data: bytes) -> None:
        if data:
            self.sha.update(data)
            self.size += len(data)
            self.emit(data)

    def rows(self, data: bytes) -> None:
        self.raw(self.convert(data))


class _ChunkWriter(io.RawIOBase):
    """The raw end of a BufferedWriter that COPY writes rows into: sees the stream 1 MB at a time, cuts each
    chunk at its last newline (the rest waits for the next chunk) and hands whole lines on. CSV keeps the
    newline with the rest: a cell start right after it is seen with the next chunk."""

    def __init__(self, fmt: str, out: _Output):
        super().__init__()
        self.keep = 0 if fmt == "csv" else 1
        self.out = out
        self.rest = b""

    def writable(self):
        return True

    def write(self, data):
        n = len(data)
        data = self.rest + bytes(data)
        cut = data.rfind(b"\n")
        if cut < 0:
            self.rest = data
            return n
        cut += self.keep
        self.out.rows(data[:cut])
        self.rest = data[cut:]
        return n

    def finish(self):
        if self.rest:
            self.out.rows(self.rest)
            self.rest = b""


def _copy(cur, statement: str, sink) -> int:
    raw = chain.raw_cursor(cur)
    raw.copy_expert(statement, sink)
    return raw.rowcount  # COPY's own row count


def _batches(plan: ExportPlan, layout: str, cur, batch_rows: int | None):
    """(select, params) of each COPY: one for the whole export (batch_rows None), else one per batch."""
    if layout == LAYOUT_CHAIN:
        end = _chain_end(plan, cur)
        if end is None:
            return
        low = None
        while batch_rows is not None:
            where = "" if low is None else "AND (e.txid, e.id) > (%s, %s) "
            cur.execute(f"SELECT e.txid, e.id FROM {chain.EVENT_TABLE} e WHERE (e.txid, e.id) <= (%s, %s) {where}"  # noqa: S608  # nosec B608 -- constant table name; values are parameters
                        "ORDER BY e.txid, e.id OFFSET %s LIMIT 1", [*end, *(low or ()), batch_rows - 1])
            row = cur.fetchone()
            if row is None:
                break
            yield _chain_select(low, (row[0], row[1]))
            low = (row[0], row[1])
        yield _chain_select(low, end)
        return
    bounds = _id_bounds(plan, cur)
    if bounds is None:
        return
    if batch_rows is None:
        yield _selection_select(plan, bounds)
        return
    low, high = bounds
    while low <= high:
        top = min(high, low + batch_rows - 1)
        yield _selection_select(plan, (low, top))
        low = top + 1


def _session(cur):
    chain.pg_canonical_session(cur)
    # The chain layout walks the (txid, id) index, the selection a merge join over the id indexes: no hash of
    # the seals, no sort of the wide rows. No JIT: the plan's cost is far above jit_above_cost, and compiling
    # each partition's scan (and, for the download, again for every batch) cost more CPU than the whole read
    # (1.2M events: 4.9 s of backend CPU with JIT, 1.8 s without).
    return chain.planner_settings(cur, enable_hashjoin="off", enable_sort="off", jit="off")


def copy_export(plan: ExportPlan, emit) -> tuple[int, str, int]:
    """Run the export's COPY and hand the finished bytes to emit(chunk). -> (bytes, sha256 hex, rows)."""
    layout = layout_of(plan)
    out = _Output(plan.fmt, emit)
    out.raw(header_line(plan.fmt, layout))
    sink = _ChunkWriter(plan.fmt, out)
    buffered = io.BufferedWriter(sink, buffer_size=CHUNK)
    rows = 0
    with transaction.atomic(), connection.cursor() as cur, _session(cur):
        for select, params in _batches(plan, layout, cur, None):
            rows += _copy(cur, _copy_statement(cur, plan.fmt, layout, select, params), buffered)
    buffered.flush()
    sink.finish()
    return out.size, out.sha.hexdigest(), rows


def write_copy(plan: ExportPlan, out) -> tuple[int, str, int]:
    """Stream the export through COPY into `out` (binary file-like). -> (bytes, sha256 hex, rows)."""
    return copy_export(plan, out.write)


def iter_copy(plan: ExportPlan, *, batch_rows: int = BATCH_ROWS):
    """Yield the export's bytes for a streamed download, then (size, sha256 hex, rows) last.

    In the response's own thread, no worker and no queue: one COPY per batch of rows (by (txid, id) key or
    id range), each into memory (a few MB) and out before the next. The bytes are the same as copy_export's."""
    layout = layout_of(plan)
    chunks: list[bytes] = []
    out = _Output(plan.fmt, chunks.append)
    out.raw(header_line(plan.fmt, layout))
    yield chunks.pop()
    with connection.cursor() as cur:
        with transaction.atomic(), _session(cur):
            batches = list(_batches(plan, layout, cur, batch_rows))  # the keys only: a few per million rows
    rows = 0
    for select, params in batches:
        buffer = io.BytesIO()
        with transaction.atomic(), connection.cursor() as cur, _session(cur):
            rows += _copy(cur, _copy_statement(cur, plan.fmt, layout, select, params), buffer)
        out.rows(buffer.getvalue())
        if chunks:
            yield b"".join(chunks)
            chunks.clear()
    yield out.size, out.sha.hexdigest(), rows


# --- Python writer (cursor): the embedded database's path -----------------------------------------

def _csv_cell(value: str | None, quote: bool) -> str:
    """One cell as PostgreSQL's COPY (FORMAT csv, FORCE_QUOTE) writes it: NULL bare and empty."""
    if value is None:
        return ""
    if quote or value == "" or any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _b64(value) -> str:
    return base64.b64encode(bytes(value)).decode()


def iter_python(plan: ExportPlan, *, batch: int = 2000):
    """Yield the export as byte chunks, in the same format and layout as the COPY writer.

    The values are the strings the sealer hashed on this database (chain.canonical_bytes), so the verifier
    can rebuild each event's canonical bytes: the manifest says which canonical form (CANONICAL_PLAIN)."""
    layout = layout_of(plan)
    cols = columns_of(layout)
    frm, params = _from_where(plan)
    sql = f"SELECT s.seq, {chain.select_columns('e')}, s.prev_hash, s.chain_hash {frm} ORDER BY s.seq"  # noqa: S608
    json_flags = [c in _JSON_COLS for c in chain.EVENT_COLUMNS]
    quoted = [c in QUOTED_COLUMNS for c in cols]
    csv_fmt = plan.fmt == "csv"
    parts = [header_line(plan.fmt, layout).decode()]
    selection = layout == LAYOUT_SELECTION
    with transaction.atomic():
        cur = connection.chunked_cursor() if is_postgres() else connection.cursor()
        try:
            cur.execute(sql, params)
            while True:
                rows = cur.fetchmany(batch)
                if not rows:
                    break
                for r in rows:
                    values = [None if v is None else (v if type(v) is str and not j else chain._text(v, j))
                              for v, j in zip(r[1:-2], json_flags, strict=True)]
                    if selection:
                        values = [str(r[0]), *values, _b64(r[-2]), _b64(r[-1])]
                    else:
                        values.append(_b64(r[-1]) if r[1] % CHAIN_MARK == 0 else None)
                    if csv_fmt:
                        parts.append(",".join(_csv_cell(v if v is None or not q else csv_guard(v), q)
                                              for v, q in zip(values, quoted, strict=True)) + "\n")
                    else:
                        parts.append(json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n")
                yield "".join(parts).encode()
                parts = []
        finally:
            cur.close()
    if parts:
        yield "".join(parts).encode()


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
        "row_format": JSONL_FORMAT if plan.fmt == "jsonl" else CSV_FORMAT,
        "canonical": CANONICAL_PGCOPY if is_postgres() else CANONICAL_PLAIN,
        "layout": layout_of(plan),
        "chain_mark": CHAIN_MARK,
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
    if manifest.get("format") == "csv":
        rows = sum(1 for _ in csv.reader(io.StringIO(text))) - 1  # the header row
    else:
        rows = sum(1 for line in text.splitlines() if line.strip())
        if manifest.get("row_format") == JSONL_FORMAT:
            rows -= 1  # the line of column names
    if rows != manifest.get("row_count"):
        problems.append(f"the file holds {rows} rows, the manifest says {manifest.get('row_count')}")
    return problems
