"""Audit-log engine benchmark: sealer, verification, exports (CSV, JSON Lines, the page's zip) against
references measured in the same run.

    scripts/bench calls run(quick) with Django set up against a bench PostgreSQL database.
    Alone: DATABASE_URL=postgres://.../somebench DJANGO_SETTINGS_MODULE=portalgov.test_settings \\
           python -m benchmarks.audit_suite [--quick]

References: a raw `COPY (SELECT * FROM audits_auditevent) TO STDOUT` into a file (same rows, same
process shape) for exports; a plain per-event SHA-256 chain in Python over the same COPY lines for
verification and sealing. If the database holds fewer events than needed (quick 50,000; full
1,000,000), synthetic events are inserted server-side (INSERT ... SELECT generate_series, 50,000 per
transaction). Each export runs in its own process; its memory figure is that process's peak resident set minus its
resident set right after Django setup (this project's Django alone takes about 180 MB).
Not a test: timings are never asserted.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from benchmarks.table import print_table, row

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_COPY = "raw COPY (SELECT * FROM audits_auditevent)"
REFERENCE_CHAIN = "plain per-event SHA-256 chain in Python over the same COPY lines"

_INSERT = """
INSERT INTO audits_auditevent ("timestamp", action, severity, organization_id, actor_type, actor_ref,
    actor_label, actor_id, object_type, object_pk, object_id, object_label, object_repr, changes,
    changes_text, message, remote_addr, user_agent, request_id, cid)
SELECT now() - interval '1 hour' - ((%(start)s + %(n)s - g) * interval '2 seconds'),
       (ARRAY['portal_account.updated','auth.login','staff.updated','review.decided'])[1 + g %% 4], 'info',
       1 + g %% 50, 'user', (g %% 400)::text, 'user' || (g %% 400) || '@practice.example', g %% 400,
       'access.portalaccount', (g %% 5000)::text, g %% 5000, 'Availity account of person ' || (g %% 5000),
       'Availity account of person ' || (g %% 5000),
       jsonb_build_object('status', jsonb_build_array('active', 'suspended'), 'reason', 'leave ' || g),
       '', CASE WHEN g %% 10 = 0 THEN 'Suspended, "on leave", back in March' ELSE '' END,
       ('10.0.' || (g %% 250) || '.' || (g %% 200))::inet, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
       md5(g::text), NULL
FROM generate_series(%(start)s + 1, %(start)s + %(n)s) AS g
"""


def _count(sql, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchone()[0]


def ensure_events(total: int) -> int:
    """Insert synthetic events until the log holds `total`; returns how many were inserted."""
    from django.db import connection, transaction

    have = _count("SELECT COUNT(*) FROM audits_auditevent")
    inserted = 0
    while have + inserted < total:
        n = min(50_000, total - have - inserted)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(_INSERT, {"start": have + inserted, "n": n})
        inserted += n
    if inserted:
        with connection.cursor() as cur:
            cur.execute("ANALYZE audits_auditevent")
    return inserted


def seal_everything() -> float:
    """Seal until nothing is left; -> seconds spent sealing (not waiting while another transaction in the
    cluster holds the horizon back: that is the machine's, not the sealer's, time)."""
    from django.db import connection

    from audits.chain import seal_pending

    busy = 0.0
    deadline = time.perf_counter() + 1800
    while True:
        start = time.perf_counter()
        sealed = seal_pending()
        if sealed:
            busy += time.perf_counter() - start
        left = _count("SELECT COUNT(*) FROM audits_auditevent e WHERE NOT EXISTS "
                      "(SELECT 1 FROM audits_auditseal s WHERE s.event_id = e.id)")
        if not left or time.perf_counter() > deadline:
            with connection.cursor() as cur:
                cur.execute("ANALYZE audits_auditseal")
            return busy
        if not sealed:
            time.sleep(0.2)


def plain_chain_rate(limit: int) -> tuple[float, int]:
    """Events/s of the plain SHA-256 chain over the same COPY lines (only the hashing is timed)."""
    from django.db import connection, transaction

    from audits import chain

    with transaction.atomic(), connection.cursor() as cur:
        chain.pg_canonical_session(cur)
        data = chain.pg_copy_to_bytes(
            cur, f"SELECT {chain.select_columns()} FROM {chain.EVENT_TABLE} e LIMIT %s", [limit])  # noqa: S608
    lines = data.split(b"\n")
    lines.pop()
    sha, version, prev = hashlib.sha256, chain.PG_CANONICAL_VERSION, chain.GENESIS
    start = time.perf_counter()
    for line in lines:
        prev = sha(b"\x01" + prev + sha(version + line).digest()).digest()
    return len(lines) / (time.perf_counter() - start), len(lines)


_CHILD = r"""
import json, os, sys, time
import django
django.setup()
from django.db import connection
def rss_mb(field="VmRSS:"):
    # /proc, not getrusage: ru_maxrss carries the forking parent's peak over into the child.
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith(field)) / 1024
connection.ensure_connection()
base_mb = rss_mb()
kind, fmt, since, out, org = sys.argv[1:6]
start = time.perf_counter()
if kind == "raw":
    conds, params = [], []
    if since:
        conds.append("\"timestamp\" >= %s"); params.append(since)
    if org:
        conds.append("organization_id = %s"); params.append(int(org))
    where = (" WHERE " + " AND ".join(conds)) if conds else ""
    with connection.cursor() as cur, open(out, "wb", buffering=1 << 20) as fh:
        raw = cur.cursor
        raw.copy_expert("COPY (" + raw.mogrify("SELECT * FROM audits_auditevent" + where, params).decode()
                        + ") TO STDOUT", fh)
        rows = raw.rowcount
else:
    from audits import exporting
    from audits.models import AuditCheckpoint
    from audits.selectors import AuditFilter, build_filter
    cp = AuditCheckpoint.objects.order_by("-tree_size").first()
    flt = build_filter(since=since, organization_id=int(org) if org else None) if since or org else AuditFilter()
    plan = exporting.ExportPlan(fmt=fmt, flt=flt, tree_size=cp.tree_size, checkpoint_note=cp.note,
                                root=bytes(cp.root), event_id=0)
    if kind == "export":
        with open(out, "wb") as fh:
            _size, _sha, rows = exporting.write_copy(plan, fh)
    else:  # the page's streamed zip
        from audits.views import _zip_stream
        with open(out, "wb") as fh:
            for chunk in _zip_stream(plan, "bench"):
                fh.write(chunk)
        rows = None  # the caller knows how many rows the checkpoint covers
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": rows, "bytes": os.path.getsize(out),
                  "peak_mb": rss_mb("VmHWM:"), "base_mb": base_mb}))
"""


def _child(kind: str, fmt: str, since: str, rows_hint: int, org: int | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as tmp:
        out = str(Path(tmp) / f"out.{fmt}")
        proc = subprocess.run([sys.executable, "-c", _CHILD, kind, fmt, since, out, str(org or "")], cwd=ROOT,
                              capture_output=True,
                              text=True, env=os.environ.copy())
        if proc.returncode != 0:
            raise RuntimeError(f"{kind} {fmt} failed: {proc.stderr[-1500:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["rows"] is None:
        result["rows"] = rows_hint
    result["rate"] = result["rows"] / result["seconds"]
    return result


def _since_for(newest: int) -> str:
    """A `since` that selects about the newest `newest` events."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute('SELECT "timestamp" FROM audits_auditevent ORDER BY "timestamp" DESC OFFSET %s LIMIT 1',
                    [newest - 1])
        row = cur.fetchone()
    return row[0].isoformat() if row else ""


def _largest_practice() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT organization_id, COUNT(*) FROM audits_auditevent WHERE organization_id IS NOT NULL "
                    "GROUP BY organization_id ORDER BY 2 DESC LIMIT 1")
        return cur.fetchone()


_row = partial(row, "audit")  # one row builder for every suite (benchmarks/table.py)


def run(quick: bool) -> list[dict]:
    from audits.services import checkpoint_create
    from audits.verify import verify_log

    size = 50_000 if quick else 1_000_000
    small = size // 4
    seal_burst = 20_000 if quick else 200_000
    rows: list[dict] = []

    ensure_events(size)
    seal_everything()  # whatever an earlier run or the generator left unsealed
    # The sealer's rate: a fresh burst of unsealed events.
    before = _count("SELECT COUNT(*) FROM audits_auditseal")
    ensure_events(_count("SELECT COUNT(*) FROM audits_auditevent") + seal_burst)
    seconds = seal_everything()
    sealed = _count("SELECT COUNT(*) FROM audits_auditseal") - before
    chain_rate, chain_rows = plain_chain_rate(min(size, 200_000))
    seal_rate = sealed / seconds
    rows.append(_row("sealer", seal_rate, "events/s", REFERENCE_CHAIN, chain_rate, "value >= 100000",
                     seal_rate >= 100_000, f"{sealed:,} events sealed in {seconds:.1f} s"))
    checkpoint_create(reason="bench")
    total = _count("SELECT COUNT(*) FROM audits_auditseal")

    start = time.perf_counter()
    result = verify_log()
    seconds = time.perf_counter() - start
    verify_rate = result.seals_checked / seconds
    rows.append(_row("audit_verify (whole log)", verify_rate, "events/s", REFERENCE_CHAIN, chain_rate,
                     "value >= 300000", verify_rate >= 300_000 and result.ok,
                     f"{result.seals_checked:,} events in {seconds:.1f} s; intact={result.ok}"))

    since_small = _since_for(small)
    # Linearity compares like with like: a `since` filter makes the export's "selection" layout (every row
    # with its seq and hashes), so the whole log is also exported through a filter that keeps every row.
    since_all = _since_for(total)
    raw_all = _child("raw", "txt", "", total)
    raw_small = _child("raw", "txt", since_small, small)
    for fmt in ("csv", "jsonl"):
        full = _child("export", fmt, "", total)
        part = _child("export", fmt, since_small, small)
        whole_filtered = _child("export", fmt, since_all, total)
        ratio = full["rate"] / raw_all["rate"]
        rows.append(_row(f"audit_export {fmt}", full["rate"], "rows/s", REFERENCE_COPY, raw_all["rate"],
                         "ratio >= 0.80", ratio >= 0.8,
                         f"{full['rows']:,} rows, {full['bytes'] / 2**20:.0f} MB in {full['seconds']:.1f} s; "
                         f"raw COPY {raw_all['seconds']:.1f} s, {raw_all['bytes'] / 2**20:.0f} MB"))
        growth = full["peak_mb"] - full["base_mb"]
        rows.append(_row(f"audit_export {fmt} peak memory", growth, "MB", "raw COPY process, same measure",
                         raw_all["peak_mb"] - raw_all["base_mb"], "value < 100 MB", growth < 100,
                         f"peak RSS {full['peak_mb']:.0f} MB minus the process's {full['base_mb']:.0f} MB after "
                         f"Django setup (the raw COPY process: {raw_all['peak_mb']:.0f} MB peak), {full['rows']:,} rows"))
        linear = whole_filtered["rate"] / part["rate"] if part["rate"] else 0
        rows.append(_row(f"audit_export {fmt} linearity (filtered)", whole_filtered["rate"], "rows/s",
                         f"the same filtered export of the newest {part['rows']:,} rows", part["rate"],
                         "ratio between 0.80 and 1.25", 0.8 <= linear <= 1.25,
                         f"{part['rows']:,} rows in {part['seconds']:.1f} s vs {whole_filtered['rows']:,} in "
                         f"{whole_filtered['seconds']:.1f} s (a since filter keeping every row: the selection layout, "
                         f"{whole_filtered['rate'] / raw_all['rate']:.2f} of the raw COPY); raw COPY of the same "
                         f"{raw_small['rows']:,}: {raw_small['seconds']:.1f} s", ratio=linear))
    # What a practice downloads: its own events (a filter, so the selection layout), against a raw COPY of the
    # same rows (SELECT * ... WHERE organization_id = the practice).
    org, org_rows = _largest_practice()
    raw_org = _child("raw", "txt", "", org_rows, org)
    for kind, label in (("export", "audit_export csv, largest practice"),
                        ("page", "page export csv (streamed zip), largest practice")):
        got = _child(kind, "csv", "", org_rows, org)
        org_ratio = got["rate"] / raw_org["rate"]
        rows.append(_row(label, got["rate"], "rows/s", "raw COPY of the practice's rows", raw_org["rate"],
                         "ratio >= 0.80", org_ratio >= 0.8,
                         f"{got['rows']:,} rows, {got['bytes'] / 2**20:.1f} MB in {got['seconds']:.2f} s; raw COPY "
                         f"{raw_org['seconds']:.2f} s, {raw_org['bytes'] / 2**20:.1f} MB"))
    page = _child("page", "csv", "", total)
    page_ratio = page["rate"] / raw_all["rate"]
    rows.append(_row("page export csv (streamed zip)", page["rate"], "rows/s", REFERENCE_COPY, raw_all["rate"],
                     "ratio >= 0.80", page_ratio >= 0.8,
                     f"{page['bytes'] / 2**20:.0f} MB zip in {page['seconds']:.1f} s, peak RSS "
                     f"{page['peak_mb']:.0f} MB ({page['peak_mb'] - page['base_mb']:.0f} MB above its baseline)"))
    return rows





def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Audit-log engine benchmark (see the module docstring).")
    parser.add_argument("--quick", action="store_true", help="50,000 events instead of 1,000,000")
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")
    os.environ.setdefault("AUDIT_SIGNING_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.stderr.write("Set DATABASE_URL to a PostgreSQL database for benchmarks (events are added to it).\n")
        return 2
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    rows = run(args.quick)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
