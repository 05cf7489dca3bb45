"""Re-compute the whole chain and name the first bad event.

Walks the seal rows by seq (never by id or time), recomputes each event's content hash from its
stored columns, checks every link, the (txid, id) order, every stored checkpoint and, optionally, a
checkpoint file kept outside the database. Then looks for events the sealer never saw: rows slipped
in behind the sealer's position ("inserted") or left unsealed longer than allowed.
"""

import binascii
import datetime as dt
import hashlib
import io
import json
import os
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import chain
from .db import is_postgres
from .models import AuditArchive, AuditCheckpoint, AuditSeal
from .signing import CheckpointError, parse_note

MAX_PROBLEMS = 20


@dataclass
class Problem:
    kind: str  # changed | missing | inserted | reordered | broken_link | gap | unsealed | checkpoint
    detail: str
    seq: int | None = None
    event_id: int | None = None

    def __str__(self):
        where = []
        if self.event_id is not None:
            where.append(f"event #{self.event_id}")
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        return f"{' / '.join(where) or 'log'}: {self.kind}: {self.detail}"


@dataclass
class VerifyResult:
    events_checked: int = 0
    seals_checked: int = 0
    tree_size: int = 0
    archived: int = 0
    pending: int = 0
    checkpoints_checked: int = 0
    stored_checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Not proof of tampering, but the evidence is thinner than it should be (e.g. checkpoints missing).
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def _ts(value) -> str:
    if value is None:
        return "?"
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ") if isinstance(value, dt.datetime) else str(value)


def _archived_ranges():
    return [(a.month, a.last_seq or 0) for a in AuditArchive.objects.all()]


def _is_archived(ranges, event_ts, seq) -> bool:
    if not ranges or event_ts is None:
        return False
    if isinstance(event_ts, (str, bytes)):  # COPY text in UTC: "YYYY-MM-DD HH:MM:SS..."
        text = event_ts.decode() if isinstance(event_ts, bytes) else event_ts
        month = dt.date(int(text[0:4]), int(text[5:7]), 1)
        return any(month == m and seq <= last for m, last in ranges)
    if isinstance(event_ts, dt.datetime) and event_ts.tzinfo is None:
        event_ts = event_ts.replace(tzinfo=dt.UTC)
    month = event_ts.astimezone(dt.UTC).date().replace(day=1)
    return any(month == m and seq <= last for m, last in ranges)


_I_ORG = chain.COLUMN_INDEX["organization_id"]
_I_TX = chain.COLUMN_INDEX["txid"]
_I_TS = chain.COLUMN_INDEX["timestamp"]
_I_ACTION = chain.COLUMN_INDEX["action"]
_N_COLS = len(chain.EVENT_COLUMNS)


def _unhex(field: bytes) -> bytes:
    """A bytea from COPY text (an escaped backslash, x, hex) or plain hex."""
    return bytes.fromhex(field.removeprefix(b"\\\\x").decode())


class _Walker:
    """Checks one seal row (and its event) after another, in seq order."""

    def __init__(self, result, *, ranges, organization_id, expected_roots, pg):
        self.result, self.ranges, self.org, self.roots, self.pg = result, ranges, organization_id, expected_roots, pg
        self.prev_chain = chain.GENESIS
        self.expected_seq = 1
        self.last_key = None

    def row(self, r):
        """A row from the DB-API cursor (SQLite): typed values."""
        present = bool(r[7])
        event = r[8:8 + _N_COLS]
        self.check(r[0], r[1], r[2], r[3], bytes(r[4]), bytes(r[5]), bytes(r[6]), present,
                   lambda: event[_I_ORG], lambda: chain.content_hash(event), lambda: event[_I_TX],
                   lambda: (event[_I_ACTION], event[_I_TS]))

    def pg_line(self, line: bytes):
        """A COPY text line (PostgreSQL): 8 seal fields, then the event's canonical line."""
        p = line.split(b"\t", 8)
        event_line = p[8]
        fields = None

        def field(i):
            nonlocal fields
            if fields is None:
                fields = event_line.split(b"\t")
            value = fields[i]
            return None if value == b"\\N" else value.decode()

        def as_int(v):
            return None if v is None else int(v)

        self.check(int(p[0]), int(p[1]), p[2].decode(), None if p[3] == b"\\N" else int(p[3]),
                   _unhex(p[4]), _unhex(p[5]), _unhex(p[6]),
                   p[7] == b"t", lambda: as_int(field(_I_ORG)), lambda: chain.pg_line_hash(event_line),
                   lambda: as_int(field(_I_TX)), lambda: (field(_I_ACTION), field(_I_TS)))

    def pg_batch(self, lines) -> None:
        """A batch of lines (8 seal fields, then the event's COPY line) in seq order. An intact row is checked inline (bytes compares, two
        SHA-256); anything unusual (a mismatch, a missing event, a checkpoint to compare, another
        organization's row) goes through pg_line, which names the problem."""
        sha, hexlify, version = hashlib.sha256, binascii.hexlify, chain.PG_CANONICAL_VERSION
        result, roots = self.result, self.roots
        org = None if self.org is None else str(self.org).encode()
        expected, prev, last_key = self.expected_seq, self.prev_chain, self.last_key
        prev_hex = b"\\\\x" + hexlify(prev)  # a bytea in COPY text: an escaped backslash, x, hex
        seals = checked = 0
        for line in lines:
            p = line.split(b"\t", 8)
            seq = int(p[0])
            event = p[8]
            head = event.split(b"\t", 6)  # id, timestamp, txid, action, severity, organization_id, rest
            key = (int(p[3]), int(p[1])) if p[3] != b"\\N" else None
            ok = (p[7] == b"t" and seq == expected and p[5] == prev_hex and head[2] == p[3] and head[0] == p[1]
                  and key is not None and (last_key is None or key > last_key) and seq not in roots)
            if ok:
                in_scope = org is None or head[5] == org
                if in_scope:
                    content = sha(version + event).digest()
                    ok = b"\\\\x" + hexlify(content) == p[4]
                else:  # another organization's event: only its link is checked, with the sealed hash
                    content = _unhex(p[4])
            if ok:
                chained = sha(b"\x01" + prev + content).digest()
                prev_hex = b"\\\\x" + hexlify(chained)
                ok = prev_hex == p[6]
            if not ok:
                result.seals_checked += seals
                result.events_checked += checked
                seals = checked = 0
                self.expected_seq, self.prev_chain, self.last_key = expected, prev, last_key
                self.pg_line(line)
                expected, prev, last_key = self.expected_seq, self.prev_chain, self.last_key
                prev_hex = b"\\\\x" + hexlify(prev)
                continue
            seals += 1
            checked += in_scope
            expected, prev, last_key = seq + 1, chained, key
        result.seals_checked += seals
        result.events_checked += checked
        self.expected_seq, self.prev_chain, self.last_key = expected, prev, last_key

    def check(self, seq, event_id, seal_ts, seal_tx, content, prev, chained, present, org_of, hash_of, tx_of, what):
        result = self.result
        result.seals_checked += 1
        if seq != self.expected_seq:
            result.add(Problem("missing", f"seal rows {self.expected_seq}..{seq - 1} are missing "
                                          "(events were removed together with their seals)", seq=self.expected_seq))
        if prev != self.prev_chain:
            result.add(Problem("broken_link", "the link to the previous event does not match "
                                              "(an event was inserted, removed or re-chained before it)",
                               seq=seq, event_id=event_id))
        if chain.link(prev, content) != chained:
            result.add(Problem("broken_link", "the seal's chain hash was altered", seq=seq, event_id=event_id))
        key = (seal_tx, event_id) if self.pg else (event_id,)
        if self.last_key is not None and None not in key and None not in self.last_key and key <= self.last_key:
            result.add(Problem("reordered", "sealed out of commit order (after an event that comes later)",
                               seq=seq, event_id=event_id))
        self.last_key = key
        if not present:
            if _is_archived(self.ranges, seal_ts, seq):
                result.archived += 1
            else:
                result.add(Problem("missing", f"the event sealed at {_ts(seal_ts)} is no longer in the log "
                                              "(deleted)", seq=seq, event_id=event_id))
        elif self.org is None or org_of() == self.org:
            result.events_checked += 1
            if hash_of() != content:
                action, when = what()
                result.add(Problem("changed", f"its content ({action} at {_ts(when)}) no longer matches the hash "
                                              "sealed for it", seq=seq, event_id=event_id))
            elif tx_of() != seal_tx:
                result.add(Problem("changed", "its transaction id differs from the sealed one", seq=seq,
                                   event_id=event_id))
        self.prev_chain = chained
        self.expected_seq = seq + 1
        if seq in self.roots:
            root, label = self.roots.pop(seq)
            result.checkpoints_checked += 1
            if root != chained:
                result.add(Problem("checkpoint", f"the chain at seq {seq} differs from {label} "
                                                 "(events up to there were altered or re-chained)", seq=seq))


def verify_log(*, organization_id: int | None = None, checkpoint_note: str | None = None,
               now=None, batch: int = 10000, pg_batch: int = 100_000, workers: int | None = None,
               parallel_min: int = 400_000) -> VerifyResult:
    """Verify everything (or, with organization_id, that organization's events and every link).

    workers: processes for the whole-log check on PostgreSQL (default: 2 on a machine with 2 or more CPUs,
    when called outside a transaction, since the workers cannot see what the caller has not committed);
    used from parallel_min seals on."""
    now = now or timezone.now()
    if workers is None:
        workers = 2 if (os.cpu_count() or 1) >= 2 and not connection.in_atomic_block and hasattr(os, "fork") else 1
    result = VerifyResult()
    ranges = _archived_ranges()
    pg = is_postgres()

    # Checkpoints to compare on the way: tree_size -> (root, label).
    expected_roots: dict[int, tuple[bytes, str]] = {}
    for cp in AuditCheckpoint.objects.order_by("tree_size"):
        try:
            parsed = parse_note(cp.note)
        except CheckpointError as exc:
            result.add(Problem("checkpoint", f"stored checkpoint {cp.tree_size} is not valid: {exc}"))
            continue
        if parsed.tree_size != cp.tree_size or parsed.root != bytes(cp.root):
            result.add(Problem("checkpoint", f"stored checkpoint {cp.tree_size} disagrees with its signed note"))
            continue
        expected_roots[cp.tree_size] = (parsed.root, f"stored checkpoint {cp.tree_size}")
    result.stored_checkpoints = len(expected_roots)
    newest_stored = max(expected_roots, default=0)
    if checkpoint_note is not None:
        try:
            parsed = parse_note(checkpoint_note)
        except CheckpointError as exc:
            result.add(Problem("checkpoint", f"the checkpoint file does not verify: {exc}"))
        else:
            prior = expected_roots.get(parsed.tree_size)
            if prior and prior[0] != parsed.root:
                result.add(Problem("checkpoint", f"the checkpoint file and stored checkpoint {parsed.tree_size} disagree"))
            expected_roots[parsed.tree_size] = (parsed.root, f"the checkpoint file (size {parsed.tree_size})")

    walker = _Walker(result, ranges=ranges, organization_id=organization_id, expected_roots=expected_roots, pg=pg)
    cols = chain.select_columns("e")
    with transaction.atomic():
        if pg:
            _walk_pg(walker, batch=pg_batch, workers=workers, parallel_min=parallel_min)
        else:
            sql = (
                "SELECT s.seq, s.event_id, s.event_timestamp, s.txid, s.content_hash, s.prev_hash, "  # noqa: S608
                f"s.chain_hash, e.id IS NOT NULL, {cols} FROM {chain.SEAL_TABLE} s "
                f"LEFT JOIN {chain.EVENT_TABLE} e ON e.id = s.event_id ORDER BY s.seq"
            )
            with connection.cursor() as cur:
                cur.execute(sql)
                while rows := cur.fetchmany(batch):
                    for r in rows:
                        walker.row(r)
        expected_seq, last_key = walker.expected_seq, walker.last_key
        result.tree_size = expected_seq - 1
        for size, (_root, label) in sorted(expected_roots.items()):
            result.add(Problem("missing", f"{label} covers {size} events but the log holds only {result.tree_size}: "
                                          f"the newest {size - result.tree_size} events were deleted", seq=result.tree_size + 1))
        _check_unsealed(result, organization_id=organization_id, now=now, last_key=last_key, pg=pg)
        _check_checkpoint_coverage(result, newest_stored=newest_stored, now=now)
    _explain_reorder(result.problems)
    return result


_SEAL_FIELDS = "s.seq, s.event_id, s.event_timestamp, s.txid, s.content_hash, s.prev_hash, s.chain_hash"


def _bounds(cur, low: int, high: int):
    """(count, lowest and highest event id, oldest and newest event time) of the seals in (low, high]."""
    cur.execute(
        "SELECT COUNT(*), MIN(event_id), MAX(event_id), MIN(event_timestamp), MAX(event_timestamp) "  # noqa: S608  # nosec B608 -- constant table name; bounds are parameters
        f"FROM {chain.SEAL_TABLE} WHERE seq > %s AND seq <= %s", [low, high])
    return cur.fetchone()


def _slow_batch(walker, cur, low: int, high: int) -> None:
    """Every seal in (low, high] with its event, joined by the database in seq order, checked row by row
    (_Walker.pg_batch, which names each problem). The event's columns come last, so each line ends with the
    event's canonical COPY line exactly as the sealer hashed it (same columns, same types, same session
    settings; a tab or newline inside a value is escaped by COPY, so the 8 seal fields split off cleanly).
    A seal whose event is absent gets NULLs and the "present" flag off."""
    n, lo, hi, _t0, _t1 = _bounds(cur, low, high)
    if not n:
        return
    with chain.planner_settings(cur, work_mem="256MB"):
        data = chain.pg_copy_to_bytes(
            cur, f"SELECT {_SEAL_FIELDS}, e.id IS NOT NULL, {chain.select_columns('e')} "  # noqa: S608  # nosec B608 -- constant columns and tables; bounds are parameters
            f"FROM {chain.SEAL_TABLE} s LEFT JOIN {chain.EVENT_TABLE} e ON e.id = s.event_id AND e.id BETWEEN %s AND %s "
            "WHERE s.seq > %s AND s.seq <= %s ORDER BY s.seq", [lo, hi, low, high])
    lines = data.split(b"\n")
    lines.pop()
    walker.pg_batch(lines)


@dataclass
class _Span:
    """What the fast check proved about a run of consecutive seals."""

    seals: int = 0
    first_prev: bytes | None = None  # the stored prev_hash of the first seal
    last_chain: bytes | None = None  # the (recomputed and stored) chain hash of the last seal
    last_key: tuple | None = None  # (txid, event_id) of the last seal
    roots: list = field(default_factory=list)  # checkpoint seqs matched on the way


# One line per seal in seq order: a flag, then the event's canonical COPY line. The flag is 't' when the
# database found nothing structural to object to: the event is there (left join), the seal's txid is the
# event's, seq runs on without a gap from the batch start, and (txid, event_id) is strictly above the previous
# seal's (the commit order, which also rules out one event sealed twice). Anything else is 'f' and the batch is
# checked again row by row. The hashes are never the database's: _fast_batch computes them.
_FAST_SELECT = (
    "SELECT CASE WHEN e.id IS NOT NULL AND s.txid = e.txid AND s.seq = %(low)s + row_number() OVER w "
    "AND (s.txid, s.event_id) > (COALESCE(lag(s.txid) OVER w, %(tx)s), COALESCE(lag(s.event_id) OVER w, %(id)s)) "
    "THEN 't' ELSE 'f' END, " + chain.select_columns("e") + " "
    f"FROM {chain.SEAL_TABLE} s LEFT JOIN {chain.EVENT_TABLE} e ON e.id = s.event_id AND e.id BETWEEN %(lo)s AND %(hi)s "
    # The sealed timestamps only narrow the partitions read; a seal whose timestamp was altered finds no event
    # here, fails the flag, and the row-by-row check (which does not narrow by time) says what is wrong.
    'AND e."timestamp" BETWEEN %(t0)s AND %(t1)s '
    "WHERE s.seq > %(low)s AND s.seq <= %(high)s WINDOW w AS (ORDER BY s.seq) ORDER BY s.seq"
)


_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags 0, no header extension
_BINARY_TRAILER = b"\xff\xff"
_SEAL_ROW = b"\x00\x01\x00\x00\x00\x60"  # binary COPY: one field of 96 bytes follows


def _fast_batch(cur, low: int, high: int, prev: bytes | None, last_key, roots) -> _Span | None:
    """Whole-log check of the seals in (low, high]: per event, two SHA-256 in Python and no other per-row
    work than building the bytes to compare.

    The stored hashes come as a binary COPY (content_hash || prev_hash || chain_hash per seal, in seq order:
    raw bytes, no hex); the same bytes are built from what Python computes (each event's content hash from
    its COPY line, each link from the previous one) and the two buffers are compared at once. Equal buffers
    prove every content hash, every chain hash and every prev_hash = the previous seal's chain hash. prev:
    the chain hash the first seal must link to (None: its stored prev_hash; the caller links the spans).
    None when anything differs: the caller then checks the batch row by row, which names the problem."""
    n, lo, hi, t0, t1 = _bounds(cur, low, high)
    if n != high - low:  # a seal is missing (or a seq repeats): the row-by-row check names it
        return None
    sink = io.BytesIO()
    chain.raw_cursor(cur).copy_expert(
        "COPY (SELECT content_hash || prev_hash || chain_hash FROM "  # noqa: S608  # nosec B608 -- constant table name; bounds are integers
        f"{chain.SEAL_TABLE} WHERE seq > {int(low)} AND seq <= {int(high)} ORDER BY seq) TO STDOUT (FORMAT binary)",
        sink)
    stored = sink.getvalue()
    width = len(_SEAL_ROW) + 96
    if (not stored.startswith(_BINARY_HEADER) or not stored.endswith(_BINARY_TRAILER)
            or len(stored) != len(_BINARY_HEADER) + width * n + len(_BINARY_TRAILER)):
        return None
    first_prev = stored[len(_BINARY_HEADER) + len(_SEAL_ROW) + 32:len(_BINARY_HEADER) + len(_SEAL_ROW) + 64]
    if prev is not None and first_prev != prev:
        return None
    tx, ev = last_key if last_key is not None and None not in last_key else (-1, -1)
    with chain.planner_settings(cur, work_mem="256MB"):
        data = chain.pg_copy_to_bytes(cur, _FAST_SELECT, {"low": low, "high": high, "tx": tx, "id": ev, "lo": lo,
                                                          "hi": hi, "t0": t0, "t1": t1})
    # COPY escapes tabs and newlines inside values: a line break is always a row's end, "t\t" a flag.
    if data.count(b"\n") != n or data.count(b"\nt\t") != n - 1 or not data.startswith(b"t\t"):
        return None
    lines = data.split(b"\n")
    lines.pop()
    del data
    sha, version, row = hashlib.sha256, chain.PG_CANONICAL_VERSION, _SEAL_ROW
    rows = [_BINARY_HEADER]
    append = rows.append
    link = first_prev
    for line in lines:
        content = sha(version + line[2:]).digest()  # the line after its flag: the canonical COPY line
        chained = sha(b"\x01" + link + content).digest()
        append(row + content + link + chained)
        link = chained
    append(_BINARY_TRAILER)
    del lines
    if b"".join(rows) != stored:
        return None
    matched = []
    for seq in roots:
        if low < seq <= high:
            if rows[seq - low][-32:] != roots[seq][0]:
                return None
            matched.append(seq)
    cur.execute(f"SELECT txid, event_id FROM {chain.SEAL_TABLE} WHERE seq = %s", [high])  # noqa: S608  # nosec B608 -- constant table name
    return _Span(n, first_prev, link, tuple(cur.fetchone()), matched)


def _fast_range(cur, low: int, top: int, batch: int, prev, last_key, roots) -> tuple[_Span, int]:
    """Fast batches over (low, top] until one fails: (what was proved, the seq it reached)."""
    span = _Span(last_key=last_key)
    while low < top:
        high = min(low + batch, top)
        got = _fast_batch(cur, low, high, prev, span.last_key, roots)
        if got is None:
            break
        if got.seals:
            if span.first_prev is None:
                span.first_prev = got.first_prev
            span.seals += got.seals
            span.last_chain, span.last_key, prev = got.last_chain, got.last_key, got.last_chain
            span.roots += got.roots
        low = high
    return span, low


def _take(walker, span: _Span, reached: int) -> None:
    """Moves the walker past a span the fast check proved (every seal there intact and in place)."""
    result = walker.result
    result.seals_checked += span.seals
    result.events_checked += span.seals
    for seq in span.roots:
        walker.roots.pop(seq)
        result.checkpoints_checked += 1
    if span.seals:
        walker.expected_seq = reached + 1
        walker.prev_chain, walker.last_key = span.last_chain, span.last_key


def _walk_pg(walker, *, batch: int, workers: int = 1, parallel_min: int = 400_000) -> None:
    """Walk the seals in seq order, a batch at a time.

    Whole-log verification takes the fast path (_fast_batch) batch after batch; with workers > 1 and at least
    parallel_min seals, the seq range is cut into that many spans checked by forked processes at once (each
    with its own connection on this transaction's snapshot), and the spans are linked here: each span's first
    prev_hash must be the chain hash the span before it ended with. From the first batch a worker could not
    prove on, the walk goes on here; a batch the fast path does not pass (and every batch of an
    organization's verification) is checked row by row, naming every problem.
    """
    with connection.cursor() as cur:
        chain.pg_canonical_session(cur)
        cur.execute(f"SELECT COALESCE(MIN(seq), 1) - 1, COALESCE(MAX(seq), 0) FROM {chain.SEAL_TABLE}")  # noqa: S608  # nosec B608 -- constant table name
        low, top = cur.fetchone()
        # The fast path starts only where the walker expects the first seal (else the row-by-row check says
        # which seals are missing) and only for the whole log (an organization's check skips other events).
        fast = walker.org is None
        if fast and low + 1 == walker.expected_seq and workers > 1 and top - low >= parallel_min:
            low = _parallel(walker, cur, low, top, batch, workers)
        while low < top:
            high = min(low + batch, top)
            if fast and low + 1 == walker.expected_seq:
                span = _fast_batch(cur, low, high, walker.prev_chain, walker.last_key, walker.roots)
                if span is not None:
                    _take(walker, span, high)
                    low = high
                    continue
            _slow_batch(walker, cur, low, high)  # names what is wrong; the next batch tries the fast path again
            low = high


def _parallel(walker, cur, low: int, top: int, batch: int, workers: int) -> int:
    """Fast-checks (low, top] in `workers` forked processes; links their spans; -> the seq the proof reached."""
    cur.execute("SELECT pg_export_snapshot()")
    snapshot = cur.fetchone()[0]
    step = -(-(top - low) // workers)
    cuts = [low + i * step for i in range(workers)] + [top]
    starts = []
    for i in range(workers):  # the last seal before each span: the span's commit-order start
        if i == 0:
            starts.append(walker.last_key)
        else:
            cur.execute(f"SELECT txid, event_id FROM {chain.SEAL_TABLE} WHERE seq = %s", [cuts[i]])  # noqa: S608  # nosec B608 -- constant table name
            row = cur.fetchone()
            starts.append(tuple(row) if row else None)
    roots = {seq: (root, "") for seq, (root, _label) in walker.roots.items()}
    jobs = [(cuts[i], cuts[i + 1], walker.prev_chain if i == 0 else None, starts[i]) for i in range(workers)]
    spans = _run_forked(jobs, lambda job: _child_span(snapshot, job, batch, roots))
    prev, reached = walker.prev_chain, low
    for (_start, end, _p, _k), got in zip(jobs, spans, strict=True):
        if got is None:  # the child failed: go on from here in this process
            break
        span, got_to = got
        if span.seals and span.first_prev != prev:
            break
        _take(walker, span, got_to)
        if span.seals:
            prev = span.last_chain
        reached = got_to
        if got_to != end:
            break
    return reached


def _child_span(snapshot: str, job, batch: int, roots):
    """In a forked child: its own connection, importing the parent's snapshot."""
    low, top, prev, last_key = job
    conn = connection.get_new_connection(connection.get_connection_params())
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
            chain.pg_canonical_session(cur)
            return _fast_range(cur, low, top, batch, prev, last_key, roots)
    finally:
        conn.rollback()
        conn.close()


def _run_forked(jobs, fn) -> list:
    """fn(job) for each job, each in a forked child (os.fork: also from a daemonic worker process, where
    multiprocessing refuses). A child never touches the parent's connection and leaves by os._exit, so
    nothing of the parent's is closed or flushed twice. None for a job whose child failed."""
    children = []
    for job in jobs:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            os.close(read_fd)
            try:
                span, reached = fn(job)
                payload = json.dumps({"seals": span.seals, "reached": reached,
                                      "first_prev": span.first_prev and span.first_prev.hex(),
                                      "last_chain": span.last_chain and span.last_chain.hex(),
                                      "last_key": span.last_key, "roots": span.roots}).encode()
            except BaseException:  # noqa: BLE001 - anything: the parent checks this span itself
                payload = b""
            try:
                with os.fdopen(write_fd, "wb") as out:
                    out.write(payload)
            finally:
                os._exit(0)
        os.close(write_fd)
        children.append((pid, read_fd))
    results = []
    for pid, read_fd in children:
        with os.fdopen(read_fd, "rb") as fh:
            payload = fh.read()
        os.waitpid(pid, 0)
        if not payload:
            results.append(None)
            continue
        got = json.loads(payload)
        unhex = lambda v: None if v is None else bytes.fromhex(v)  # noqa: E731
        results.append((_Span(got["seals"], unhex(got["first_prev"]), unhex(got["last_chain"]),
                              None if got["last_key"] is None else tuple(got["last_key"]), got["roots"]),
                        got["reached"]))
    return results


def _check_checkpoint_coverage(result, *, newest_stored: int, now) -> None:
    """Signed checkpoints are made every 15 minutes and before each export: events sealed long ago that no
    stored checkpoint covers mean checkpoints were deleted or the checkpoint job is not running."""
    if result.tree_size == 0:
        return
    max_age = dt.timedelta(seconds=getattr(settings, "AUDIT_CHECKPOINT_MAX_AGE_SECONDS", 3600))
    if newest_stored == 0:
        result.warnings.append(
            "there are no stored checkpoints: the database alone cannot show that the newest events were removed; "
            "verify against a checkpoint kept outside PortalGov (--checkpoint FILE)")
    oldest = (AuditSeal.objects.filter(seq__gt=newest_stored).order_by("seq").values_list("sealed_at", flat=True)
              .first())
    if oldest is not None and oldest < now - max_age:
        result.warnings.append(
            f"stored checkpoints are missing: events sealed since {_ts(oldest)} (seq {newest_stored + 1} to "
            f"{result.tree_size}) are covered by no stored checkpoint, though one is signed every 15 minutes "
            "(checkpoints were deleted, or the checkpoint job is not running)")


def _explain_reorder(problems: list[Problem]) -> None:
    """A swap shows as a broken link at seq k and an out-of-order event at k+1: say what happened."""
    for p in problems:
        if p.kind != "reordered" or p.seq is None:
            continue
        for k, q in enumerate(problems):
            if q.kind == "broken_link" and q.seq == p.seq - 1:
                problems[k] = Problem("reordered", f"it was moved before event #{p.event_id} (their places in the "
                                                   "chain were swapped)", seq=q.seq, event_id=q.event_id)
                break


def _check_unsealed(result, *, organization_id, now, last_key, pg) -> None:
    where = f"NOT EXISTS (SELECT 1 FROM {chain.SEAL_TABLE} s WHERE s.event_id = e.id)"  # noqa: S608
    params: list = []
    if organization_id is not None:
        where += " AND e.organization_id = %s"
        params.append(organization_id)
    max_age = dt.timedelta(seconds=settings.AUDIT_MAX_UNSEALED_SECONDS)
    with connection.cursor() as cur:
        top = chain.horizon(cur)
        if pg and last_key is not None and None not in last_key:
            # If every event at or behind the sealer's position is one the walk found sealed, only the
            # tail beyond that position can hold unsealed events: an index range instead of an anti-join
            # over the whole table.
            scope, scope_params = "", []
            if organization_id is not None:
                scope, scope_params = " AND e.organization_id = %s", [organization_id]
            cur.execute(
                f"SELECT COUNT(*) FROM {chain.EVENT_TABLE} e WHERE ((e.txid, e.id) <= (%s, %s) "  # noqa: S608  # nosec B608 -- constant table name; the scope is one of two fixed strings, values parameters
                f"OR e.txid IS NULL){scope}", [*last_key, *scope_params])
            if cur.fetchone()[0] == result.events_checked:
                where += " AND (e.txid, e.id) > (%s, %s)"
                params += list(last_key)
        cur.execute(
            f"SELECT e.id, e.txid, e.timestamp, e.action FROM {chain.EVENT_TABLE} e WHERE {where} "  # noqa: S608
            "ORDER BY e.id LIMIT 1000", params,
        )
        for event_id, txid, ts, action in cur.fetchall():
            if isinstance(ts, dt.datetime) and ts.tzinfo is None:
                ts = ts.replace(tzinfo=dt.UTC)
            key = (txid, event_id) if pg else (event_id,)
            behind = last_key is not None and (None in key or key < last_key)
            if behind:
                result.add(Problem("inserted", f"{action} at {_ts(ts)} was added behind the sealer's position "
                                               "(it is not in the chain)", event_id=event_id))
            elif (top is None or txid < top) and ts < now - max_age:
                result.add(Problem("unsealed", f"{action} at {_ts(ts)} has not been sealed for more than "
                                               f"{settings.AUDIT_MAX_UNSEALED_SECONDS} s (is the sealer running?)",
                                   event_id=event_id))
            else:
                result.pending += 1
