"""The hash chain: canonical bytes of an event, and the asynchronous sealer.

Order: the sealer chains events in (txid, id) order and only takes rows whose transaction id is
below the oldest running transaction (pg_snapshot_xmin). Every transaction below that horizon has
finished, so no row can later appear before a sealed one: the order is commit-safe, concurrent
writers never fork the chain, and rolled-back rows simply never exist. seq is gap-free because one
sealer (advisory lock) assigns it. On SQLite (one writer at a time) id order is used.

Canonical bytes: a fixed, versioned list of every stored column, each value rendered the same way
by the sealer and the verifier (both read it back from the database, so jsonb normalisation and
timestamp precision are what was stored), length-prefixed so no two rows can collide.
"""

import binascii
import contextlib
import datetime as dt
import hashlib
import io
import json
import queue
import threading
from contextlib import contextmanager

from django.db import connection, transaction

from .db import is_postgres
from .models import AuditEvent, AuditSeal

CANONICAL_VERSION = b"portalgov-audit-event-v1\n"
GENESIS = hashlib.sha256(b"portalgov-audit-genesis").digest()
SEALER_LOCK_KEY = 0x5EA1_A0D1  # pg_advisory_xact_lock key: one sealer at a time

EVENT_TABLE = AuditEvent._meta.db_table
SEAL_TABLE = AuditSeal._meta.db_table

# Every stored column of AuditEvent, in hashing order. Adding a column means a new version.
EVENT_COLUMNS = [
    "id", "timestamp", "txid", "action", "severity", "organization_id",
    "actor_type", "actor_ref", "actor_label", "actor_id", "actor_email",
    "content_type_id", "object_type", "object_pk", "object_id", "object_label", "object_repr",
    "changes", "changes_text", "serialized_data", "additional_data", "message",
    "cid", "remote_addr", "remote_port", "user_agent", "request_id",
]
JSON_COLUMNS = frozenset({"changes", "serialized_data", "additional_data"})
_JSON_FLAGS = [c in JSON_COLUMNS for c in EVENT_COLUMNS]
COLUMN_INDEX = {c: i for i, c in enumerate(EVENT_COLUMNS)}


def select_columns(alias: str = "e") -> str:
    return ", ".join(f'{alias}."{c}"' for c in EVENT_COLUMNS)


_UTC = dt.UTC
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_loads = json.loads


def _text(value, is_json: bool) -> str:
    if is_json:
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value).decode()
        return _dumps(_loads(value) if isinstance(value, str) else value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite hands back naive UTC
            return value.isoformat(timespec="microseconds") + "Z"
        return value.astimezone(_UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    return str(value)


def canonical_bytes(row) -> bytes:
    """row: the values of EVENT_COLUMNS, in order, as the database returns them.

    Each value: 0x00 for NULL, else 0x01 + 4-byte big-endian length + UTF-8 text (JSON canonicalised
    with sorted keys, timestamps as UTC ISO-8601 with microseconds and a Z).
    """
    parts = [CANONICAL_VERSION]
    append = parts.append
    for value, is_json in zip(row, _JSON_FLAGS, strict=True):
        if value is None:
            append(b"\x00")
            continue
        data = (value if type(value) is str and not is_json else _text(value, is_json)).encode()
        append(b"\x01" + len(data).to_bytes(4, "big") + data)
    return b"".join(parts)


def content_hash(row) -> bytes:
    return hashlib.sha256(canonical_bytes(row)).digest()


def link(prev_hash: bytes, content: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + prev_hash + content).digest()


# PostgreSQL: the canonical bytes of an event are its COPY text-format line (the columns above, in
# order, tab-separated, NULL as \N, backslash escapes), rendered under fixed session settings. The
# sealer and the verifier both read that line from the database and hash it in Python, so what is
# hashed is exactly what is stored, and verification never trusts a hash computed by the database.
PG_CANONICAL_VERSION = b"portalgov-audit-event-pgcopy-v1\n"
PG_SESSION_SETTINGS = [
    "SET LOCAL TimeZone = 'UTC'", "SET LOCAL DateStyle = 'ISO, YMD'", "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1", "SET LOCAL bytea_output = 'hex'",
]


def pg_canonical_session(cur) -> None:
    for statement in PG_SESSION_SETTINGS:
        cur.execute(statement)


@contextmanager
def planner_settings(cur, **settings: str):
    """Planner settings (enable_sort="off"...) for the statements inside the block only.

    SET LOCAL lasts until the end of the top-level transaction: a savepoint's RELEASE keeps it. Inside a
    caller's transaction (a job that seals then verifies, a test) a bare SET LOCAL enable_sort = off would
    reach every later query of that transaction, where each plan with a sort then costs more than
    jit_above_cost and is JIT-compiled (hundreds of milliseconds for a one-row query). The previous values
    come back when the block ends; after an error the caller's rollback undoes them anyway.
    """
    names = list(settings)
    cur.execute("SELECT " + ", ".join("current_setting(%s)" for _ in names), names)
    before = cur.fetchone()
    for name in names:
        cur.execute("SELECT set_config(%s, %s, true)", [name, settings[name]])
    yield
    for name, value in zip(names, before, strict=True):
        cur.execute("SELECT set_config(%s, %s, true)", [name, value])


def pg_line_hash(line: bytes) -> bytes:
    return hashlib.sha256(PG_CANONICAL_VERSION + line).digest()


def raw_cursor(cur):
    return cur.cursor if hasattr(cur, "cursor") else cur


def pg_copy_to_bytes(cur, select: str, params) -> bytes:
    """COPY (select) TO STDOUT (text format) into one bytes object.

    psycopg2 hands COPY output over one row at a time; a BytesIO sink keeps that per-row step in C,
    so the callers work on one big buffer (split into lines) instead of a Python call per row.
    """
    raw = raw_cursor(cur)
    query = raw.mogrify(select, params).decode()
    sink = io.BytesIO()
    raw.copy_expert(f"COPY ({query}) TO STDOUT", sink)
    return sink.getvalue()


def horizon(cursor) -> int | None:
    """Transaction ids below this have all finished (PostgreSQL); None on SQLite."""
    if not is_postgres():
        return None
    cursor.execute("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")
    return cursor.fetchone()[0]


def seal_pending(*, batch_size: int = 200_000, max_rows: int | None = None) -> int:
    """Seal every event that is safe to seal now; returns how many were sealed. Idempotent.

    batch_size: events per transaction. On PostgreSQL memory is bounded by PIPELINE_CHUNK, not by this: a
    batch is read and sealed chunk by chunk (fewer, longer batches: one reader connection and one plan each)."""
    total = 0
    while max_rows is None or total < max_rows:
        n = _seal_batch(batch_size if max_rows is None else min(batch_size, max_rows - total))
        total += n
        if n == 0:
            break
    return total


def _seal_batch(limit: int) -> int:
    pg = is_postgres()
    with transaction.atomic(), connection.cursor() as cur:
        if pg:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [SEALER_LOCK_KEY])
        top = horizon(cur)
        cur.execute(f"SELECT seq, txid, event_id, chain_hash FROM {SEAL_TABLE} ORDER BY seq DESC LIMIT 1")  # noqa: S608
        last = cur.fetchone()
        seq, last_txid, last_id, prev = (last[0], last[1], last[2], bytes(last[3])) if last else (0, None, None, GENESIS)
        cols = select_columns()
        if pg:
            where, params = "e.txid < %s", [top]
            if last is not None:
                where += " AND (e.txid, e.id) > (%s, %s)"
                params += [last_txid, last_id]
            order = "e.txid, e.id"
        else:
            where, params = "e.id > %s", [last_id or 0]
            order = "e.id"
        select = f"SELECT {cols} FROM {EVENT_TABLE} e WHERE {where} ORDER BY {order} LIMIT %s"  # noqa: S608
        if pg:
            return _seal_pg(cur, select, [*params, limit], seq, prev)
        cur.execute(select, [*params, limit])
        rows = cur.fetchall()
        if not rows:
            return 0
        i_id, i_ts, i_tx = COLUMN_INDEX["id"], COLUMN_INDEX["timestamp"], COLUMN_INDEX["txid"]
        seals = []
        for row in rows:
            seq += 1
            ch = content_hash(row)
            chain = link(prev, ch)
            seals.append((seq, row[i_id], row[i_ts], row[i_tx], ch, prev, chain))
            prev = chain
        _insert_seals(cur, seals)
        return len(rows)


SEAL_COPY_COLUMNS = "seq, event_id, event_timestamp, txid, content_hash, prev_hash, chain_hash"  # sealed_at: default
PIPELINE_CHUNK = 20_000


def _seal_lines(lines, seq: int, prev: bytes) -> tuple[bytes, int, bytes]:
    """COPY text input for the seals of these event lines, chained on from (seq, prev): -> (data, seq, prev).

    Per event: the two SHA-256, two hexlify (the previous chain hash's hex is carried over as this seal's
    prev_hash) and one %-format; id, timestamp and txid lead the event's line and are copied over as one slice.
    """
    sha, hexlify, version = hashlib.sha256, binascii.hexlify, PG_CANONICAL_VERSION
    prev_hex = hexlify(prev)
    out = []
    append = out.append
    for line in lines:
        head = line[:line.index(b"\t", line.index(b"\t", line.index(b"\t") + 1) + 1)]  # id, timestamp, txid
        seq += 1
        content = sha(version + line).digest()
        prev = sha(b"\x01" + prev + content).digest()
        chained_hex = hexlify(prev)
        # bytea in COPY text input: \\x + hex (the backslash itself escaped).
        append(b"%d\t%s\t\\\\x%s\t\\\\x%s\t\\\\x%s" % (seq, head, hexlify(content), prev_hex, chained_hex))
        prev_hex = chained_hex
    append(b"")
    return b"\n".join(out), seq, prev


def _copy_seals(cur, data: bytes) -> None:
    raw_cursor(cur).copy_expert(f"COPY {SEAL_TABLE} ({SEAL_COPY_COLUMNS}) FROM STDIN", io.BytesIO(data))


def _split(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    lines.pop()  # COPY ends every row with a newline
    return lines


def _seal_pg(cur, select, params, seq, prev) -> int:
    """Hash each event's COPY line, chain them, and write the seals with COPY FROM.

    A first chunk is read here; if there is more, the rest is read chunk by chunk by a thread on a second
    connection (rows below the horizon are committed and never change, so any connection reads the same
    lines) while this one hashes the chunk before and writes its seals: the database producing events, Python
    hashing and the database storing seals overlap instead of taking turns. Every chunk continues after the
    last (txid, id) read; the seals are written in the same order in this transaction.
    """
    pg_canonical_session(cur)
    *head_params, limit = params
    first = min(limit, PIPELINE_CHUNK)
    # The (txid, id) index walk is always right here; with few distinct txids the planner's estimate
    # of the row comparison collapses and it would sort the whole unsealed tail instead.
    with planner_settings(cur, enable_sort="off"):
        lines = _split(pg_copy_to_bytes(cur, select, [*head_params, first]))
    if not lines:
        return 0
    total = len(lines)
    reader = None
    if total == first < limit:
        reader = _ChunkReader(head_params, lines[-1], limit - first)
    try:
        while lines:
            data, seq, prev = _seal_lines(lines, seq, prev)
            del lines
            _copy_seals(cur, data)
            del data
            lines = reader.next() if reader is not None else []
            total += len(lines)
    finally:
        if reader is not None:
            reader.close()
    return total


class _ChunkReader:
    """Reads the events after a given line, PIPELINE_CHUNK at a time, on its own connection in a thread,
    one chunk ahead of the sealer."""

    def __init__(self, head_params, last_line: bytes, remaining: int):
        self.top = head_params[0]
        self.last = last_line
        self.remaining = remaining
        self.queue = queue.Queue(maxsize=1)
        self.stop = threading.Event()
        self.conn = connection.get_new_connection(connection.get_connection_params())
        self.thread = threading.Thread(target=self._run, name="audit-seal-reader", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with self.conn.cursor() as cur:
                pg_canonical_session(cur)
                cur.execute("SET LOCAL enable_sort = off")
                last = self.last
                while self.remaining > 0 and not self.stop.is_set():
                    event_id, _ts, txid, _rest = last.split(b"\t", 3)
                    n = min(PIPELINE_CHUNK, self.remaining)
                    select = (f"SELECT {select_columns()} FROM {EVENT_TABLE} e WHERE e.txid < %s "  # noqa: S608  # nosec B608 -- constant columns and table; values are parameters
                              "AND (e.txid, e.id) > (%s, %s) ORDER BY e.txid, e.id LIMIT %s")
                    lines = _split(pg_copy_to_bytes(cur, select, [self.top, int(txid), int(event_id), n]))
                    self.remaining -= len(lines)
                    self.queue.put(lines)
                    if len(lines) < n:
                        break
                    last = lines[-1]
            self.queue.put([])
        except BaseException as exc:  # handed to the sealer, which re-raises it
            self.queue.put(exc)

    def next(self) -> list[bytes]:
        got = self.queue.get()
        if isinstance(got, BaseException):
            raise got
        if not got:
            self.queue.put([])  # stay at the end
        return got

    def close(self) -> None:
        self.stop.set()
        while self.thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self.queue.get(timeout=0.05)  # unblock a put
        self.thread.join()
        try:
            self.conn.rollback()
        finally:
            self.conn.close()


def _insert_seals(cur, seals) -> None:
    from django.utils import timezone

    now = timezone.now()
    sql = (
        f"INSERT INTO {SEAL_TABLE} (seq, event_id, event_timestamp, txid, content_hash, prev_hash, chain_hash, "  # noqa: S608
        "sealed_at) VALUES "
    )
    if is_postgres():
        from psycopg2.extras import execute_values

        execute_values(
            cur.cursor if hasattr(cur, "cursor") else cur, sql + "%s",
            [(s, e, ts, tx, ch, pv, cn, now) for s, e, ts, tx, ch, pv, cn in seals], page_size=2000,
        )
    else:
        cur.executemany(sql + "(%s, %s, %s, %s, %s, %s, %s, %s)",
                        [(s, e, ts, tx, ch, pv, cn, now) for s, e, ts, tx, ch, pv, cn in seals])


def chain_head() -> tuple[int, bytes]:
    """(last seq, its chain hash), or (0, GENESIS) for an empty chain."""
    last = AuditSeal.objects.order_by("-seq").values_list("seq", "chain_hash").first()
    if last is None:
        return 0, GENESIS
    return last[0], bytes(last[1])
