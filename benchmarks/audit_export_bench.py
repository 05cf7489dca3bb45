"""Audit log benchmark: seal, export and verify 1,000,000 events; compare the export with `psql \\copy`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/audits_bench python benchmarks/audit_export_bench.py [--rows N]

The database named in DATABASE_URL is DROPPED and re-created (it must not be a real one). Each export
runs in its own process under /usr/bin/time, so "peak MB" is that process's maximum resident set size.
Not a test: the suite never runs it.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")


def sh(cmd, env=None):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)


def timed(cmd, env=None):
    """Run cmd under /usr/bin/time; -> (seconds, peak RSS in MB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS=%M", *cmd], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed:\n{proc.stderr[-2000:]}")
    rss = next(int(line.split("=")[1]) for line in proc.stderr.splitlines() if line.startswith("MAXRSS="))
    return seconds, rss / 1024, proc.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", default=str(ROOT / "var" / "audit-bench"))
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    u = urlparse(url)
    dbname = u.path.lstrip("/")
    if not url.startswith("postgres") or not dbname.endswith("bench"):
        raise SystemExit("Set DATABASE_URL to a throwaway PostgreSQL database whose name ends in 'bench'.")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    sh(["psql", admin_url, "-qc", f'DROP DATABASE IF EXISTS "{dbname}"'])
    sh(["psql", admin_url, "-qc", f'CREATE DATABASE "{dbname}"'])
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for f in workdir.iterdir():
        f.unlink()
    env = {**os.environ, "AUDIT_SIGNING_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
           "AUDIT_LOG_ORIGIN": "portalgov.audit/bench"}
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    # 1M events over the last two months: realistic widths (JSON diff, labels, IP, user agent).
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO audits_auditevent ("timestamp", action, severity, organization_id, actor_type, actor_ref,
                actor_label, actor_id, object_type, object_pk, object_id, object_label, object_repr, changes,
                changes_text, message, remote_addr, user_agent, request_id, cid)
            SELECT now() - (g * interval '5 seconds'), 'portal_account.status_changed', 'info', 1 + g %% 5, 'user',
                   (g %% 40)::text, 'user' || (g %% 40) || '@practice.example', g %% 40,
                   'access.portalaccount', (g %% 5000)::text, g %% 5000, 'Availity account of person ' || (g %% 5000),
                   'Availity account of person ' || (g %% 5000),
                   jsonb_build_object('status', jsonb_build_array('active', 'suspended'), 'reason', 'leave ' || g),
                   '', CASE WHEN g %% 10 = 0 THEN 'Suspended, "on leave", back in March' ELSE '' END,
                   ('10.0.' || (g %% 250) || '.' || (g %% 200))::inet, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
                   md5(g::text), NULL
            FROM generate_series(1, %s) AS g
        """, [args.rows])
    insert_s = time.perf_counter() - t
    print(f"inserted {args.rows} in {insert_s:.1f} s", file=sys.stderr)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE audits_auditevent")

    from audits.chain import seal_pending
    from audits.services import checkpoint_create
    from audits.verify import verify_log

    t = time.perf_counter()
    sealed = 0
    while sealed < args.rows:
        n = seal_pending(batch_size=20000)
        sealed += n
        if n == 0:
            time.sleep(0.2)  # another database's open transaction holds the horizon back
    seal_s = time.perf_counter() - t
    checkpoint_create(reason="bench")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE audits_auditseal")

    results = []
    manage = [sys.executable, str(ROOT / "manage.py")]
    for fmt in ("csv", "jsonl"):
        out = workdir / f"export.{fmt}"
        secs, rss, _ = timed([*manage, "audit_export", "--format", fmt, "--output", str(out)], env=env)
        results.append((f"audit_export --format {fmt} (COPY)", secs, rss, out.stat().st_size))

    # psql \copy of the same rows (same SELECT as the csv export, same checkpoint bound).
    from audits.exporting import ExportPlan, _copy_select, iter_python
    from audits.selectors import AuditFilter
    from audits.services import checkpoint_create as latest

    cp = latest(reason="bench")
    plan = ExportPlan(fmt="csv", flt=AuditFilter(), tree_size=cp.tree_size, checkpoint_note=cp.note,
                      root=bytes(cp.root), event_id=0)
    select, params = _copy_select(plan)
    with connection.cursor() as cur:
        query = cur.cursor.mogrify(select, params).decode()
    psql_out = workdir / "psql.csv"
    secs, rss, _ = timed(["psql", url, "-qc", f"\\copy ({query}) TO '{psql_out}' WITH (FORMAT csv, HEADER)"])
    results.append(("psql \\copy (same SELECT, csv)", secs, rss, psql_out.stat().st_size))

    # The web download's Python writer (server-side cursor), in this process: time and Python peak.
    import tracemalloc

    tracemalloc.start()
    t = time.perf_counter()
    size = sum(len(chunk) for chunk in iter_python(plan))
    py_s = time.perf_counter() - t
    py_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    results.append(("web export writer (Python, csv)", py_s, py_peak, size))

    t = time.perf_counter()
    result = verify_log()
    verify_s = time.perf_counter() - t
    assert result.ok, result.problems

    rows = args.rows
    print()
    print(f"Audit log benchmark: {rows:,} events, PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} CPUs")
    print(f"{'step':<40} {'seconds':>8} {'rows/s':>10} {'peak MB':>8} {'MB out':>8}")
    print(f"{'insert (SQL generate_series)':<40} {insert_s:>8.1f} {rows / insert_s:>10,.0f} {'':>8} {'':>8}")
    print(f"{'seal (Python sealer, 20k batches)':<40} {seal_s:>8.1f} {rows / seal_s:>10,.0f} {'':>8} {'':>8}")
    for name, secs, rss, size in results:
        label = f"{rss:>8.0f}" if "Python" not in name else f"{rss:>7.1f}*"
        print(f"{name:<40} {secs:>8.1f} {rows / secs:>10,.0f} {label} {size / 2**20:>8.0f}")
    print(f"{'verify (audit_verify, full chain)':<40} {verify_s:>8.1f} {rows / verify_s:>10,.0f} {'':>8} {'':>8}")
    print("peak MB = max RSS of the exporting process (/usr/bin/time); * = Python heap peak (tracemalloc) only")


if __name__ == "__main__":
    main()
