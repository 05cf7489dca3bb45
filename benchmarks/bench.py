"""The one benchmark command (scripts/bench): build a bench database, generate the synthetic data set
once, run every suite, print one table and write it as JSON.

    scripts/bench [--quick] [--only SUITE] [--json FILE]

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/portalgov_bench) names a PostgreSQL
database that is DROPPED and re-created from a migrated template (<name>_template) on every run: never
point it at real data. BENCH_DATA_TEMPLATE=<database> starts each run from a copy of a database that
generate_synthetic already filled at the same size (skips the generation, minutes at full size). Suites: benchmarks/<name>_suite.py with run(quick: bool) -> list[dict]; a suite
whose module is absent is skipped with a note. The run fails (exit 1) only on an error, never on a
missed target: targets are reported in the table, not asserted.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlparse

from benchmarks.table import print_table

ROOT = Path(__file__).resolve().parent.parent
SUITES = ["jobs", "audit", "search", "writes", "pages"]  # jobs first: it opens the findings and campaigns pages show
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portalgov_bench"


def _admin_connect(url):
    import psycopg2

    parts = urlparse(url)
    conn = psycopg2.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                            user=parts.username or "postgres", password=parts.password, dbname="postgres")
    conn.autocommit = True
    return conn


def _recreate_from(url: str, name: str, template: str) -> None:
    """Drop the bench database and create it again as a copy of `template` (names are our own settings)."""
    conn = _admin_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        conn.close()


def prepare_database(url: str, data_template: str | None = None) -> None:
    """Migrate the template (fast when it is current), then clone it into a fresh bench database.
    data_template: clone this already generated database instead (generation skipped)."""
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if data_template:
        _recreate_from(url, name, data_template)
        # The data may predate this checkout's migrations: bring the copy (never the template) up to date.
        env = {**os.environ, "DATABASE_URL": url,
               "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        print(f"bench database {name}: cloned from the generated data in {data_template} (and migrated)")
        return
    template = f"{name}_template"
    conn = _admin_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{template}"')
    finally:
        conn.close()
    # The suites run under the test settings (throwaway keys, demo commands allowed): so does this migrate.
    env = {**os.environ, "DATABASE_URL": parts._replace(path=f"/{template}").geturl(),
           "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    _recreate_from(url, name, template)
    print(f"bench database {name}: migrated template cloned in {time.perf_counter() - t0:.1f} s")





def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small data set, the whole run under two minutes")
    parser.add_argument("--only", choices=SUITES, help="run one suite")
    parser.add_argument("--json", default=None, help="where to write the table (default var/bench/latest.json)")
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if urlparse(url).scheme not in ("postgres", "postgresql"):
        print(f"BENCH_DATABASE_URL must be a PostgreSQL database (got {urlparse(url).scheme or url!r}): the "
              "targets are PostgreSQL figures, and the bench database is dropped and re-created.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    # BENCH_DATA_TEMPLATE: a database generate_synthetic already filled at this size (its own run, once):
    # each bench run then starts from a copy of it instead of generating again (minutes at full size).
    data_template = os.environ.get("BENCH_DATA_TEMPLATE")
    prepare_database(url, data_template)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    # Checkpoints are signed: a throwaway key for this throwaway database, unless one is given.
    os.environ.setdefault("AUDIT_SIGNING_KEY", base64.b64encode(os.urandom(32)).decode())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from benchmarks.common import SIZES

    settings.PORTALGOV_DEMO_COMMANDS_ALLOWED = True  # the bench database is throwaway by construction
    size = SIZES["quick" if args.quick else "full"]
    t0 = time.perf_counter()
    if not data_template:
        call_command("generate_synthetic", seed=1, **size)
    generate_seconds = time.perf_counter() - t0
    rows, errors = [], []
    for name in [args.only] if args.only else SUITES:
        module_name = f"benchmarks.{name}_suite"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            print(f"-- suite {name}: {module_name} not present, skipped")
            continue
        print(f"-- suite {name} ...", flush=True)
        t0 = time.perf_counter()
        try:
            got = module.run(quick=args.quick)
        except Exception:  # noqa: BLE001 - reported, the other suites still run, the exit code says it
            errors.append(name)
            traceback.print_exc()
            continue
        rows += got
        print(f"-- suite {name}: {len(got)} measures in {time.perf_counter() - t0:.1f} s", flush=True)
    print()
    print(f"PortalGov benchmarks ({'quick' if args.quick else 'full'}: {size['orgs']} practices x {size['staff']} "
          f"staff x {size['portals']} portals, {size['events']:,} audit events; {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f})")
    print_table(rows)
    out = Path(args.json) if args.json else ROOT / "var" / "bench" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "quick": args.quick, "sizes": size, "generate_seconds": round(generate_seconds, 1),
        "total_seconds": round(time.perf_counter() - started, 1), "cpus": os.cpu_count(),
        "load_average": os.getloadavg(), "errors": errors, "results": rows,
    }, indent=2, default=str))
    print(f"written to {out}; whole run {time.perf_counter() - started:.0f} s")
    if errors:
        print(f"FAILED suites: {', '.join(errors)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
