"""Benchmark: the daily hygiene job over 300,000 portal accounts (PostgreSQL).

    python benchmarks/hygiene_daily.py [--orgs 100] [--staff 1000] [--db portalgov_bench_hygiene] [--rebuild]

Builds (once, with set-based SQL) ORGS practices, each with STAFF people holding an account on each of
3 portals (Noridian-like: 60-day lock-out, 365-day password, MFA; Availity-like: 60-day password, MFA;
myCGS-like: 30-day lock-out, 60-day password, MFA, 360-day re-certification) = ORGS*STAFF*3 accounts,
with spread-out last logins (0-17 days ago), password changes (0-49 days ago), 1% without MFA, 0.1% of people whose end date passed
yesterday, and one portal administrator per enrollment. Then, in a fresh process, runs the daily job
twice: the first run (opens every finding, terminates the leavers, sends the digests) and the steady-
state second run. Prints seconds, peak memory (max RSS growth of the process) and SQL queries per
organization. Uses its own database (dropped and rebuilt with --rebuild).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup_django(db: str):
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django

    django.setup()


def _ensure_database(db: str, rebuild: bool) -> bool:
    import psycopg2

    conn = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db])
            exists = cur.fetchone() is not None
            if exists and rebuild:
                cur.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
                exists = False
            if not exists:
                cur.execute(f'CREATE DATABASE "{db}"')
    finally:
        conn.close()
    return not exists


def build(db: str, orgs: int, staff: int) -> None:
    _ensure_database(db, rebuild=False)
    _setup_django(db)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from access.models import PortalAccount

    if PortalAccount.objects.exists():
        print(f"fixture present: {PortalAccount.objects.count():,} accounts (use --rebuild to start again)")
        return
    t0 = time.perf_counter()
    from accounts.models import Organization
    from carriers.models import Portal, PortalAccountRule, PortalEnrollment, PortalFunction

    K = PortalAccountRule.Kind
    specs = [
        ("Bench Noridian", {K.INACTIVITY_LOCKOUT_DAYS: 60, K.PASSWORD_LIFETIME_DAYS: 365, K.MFA: None}),
        ("Bench Availity", {K.PASSWORD_LIFETIME_DAYS: 60, K.MFA: None}),
        ("Bench myCGS", {K.INACTIVITY_LOCKOUT_DAYS: 30, K.PASSWORD_LIFETIME_DAYS: 60, K.MFA: None,
                         K.RECERT_INTERVAL_DAYS: 360}),
    ]
    functions = list(PortalFunction.objects.filter(code__in=["eligibility_benefits", "claim_status"]))
    portals = []
    for i, (name, rules) in enumerate(specs):
        portal = Portal.objects.create(name=name, architecture=Portal.Architecture.MAC, reference_key=f"bench-{i}",
                                       url=f"https://bench{i}.example.com/")
        portal.functions.set(functions)
        for kind, number in rules.items():
            PortalAccountRule.objects.create(portal=portal, kind=kind, number=number,
                                             value="Required" if number is None else str(number))
        portals.append(portal)
    Organization.objects.bulk_create([
        Organization(legal_name=f"Bench Practice {n}", slug=f"bench-{n}", tin=f"{10 + n % 80:02d}{n:07d}"[:9],
                     billing_states=["WA"], practice_state="WA") for n in range(orgs)])
    org_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    PortalEnrollment.objects.bulk_create([
        PortalEnrollment(organization_id=o, portal=p, status=PortalEnrollment.Status.REGISTERED)
        for o in org_ids for p in portals])
    with connection.cursor() as cur:
        # People: 1 in 1,000 has an end date that passed yesterday; the rest front desk / billing.
        cur.execute("""
            INSERT INTO staff_staffmember (organization_id, full_name, work_email, job_role, employment_status,
                                           start_date, end_date, created_at, updated_at)
            SELECT o.id, 'Person ' || g, 'p' || g || '@' || o.slug || '.example',
                   CASE WHEN mod(g, 3) = 0 THEN 'billing_specialist' ELSE 'front_desk' END, 'active',
                   DATE '2020-01-01', CASE WHEN mod(g, 1000) = 7 THEN CURRENT_DATE - 1 END, now(), now()
            FROM accounts_organization o CROSS JOIN generate_series(1, %s) g WHERE o.slug LIKE 'bench-%%'
        """, [staff])
        # The first person of each practice administers its three enrollments.
        cur.execute("""
            INSERT INTO staff_enrollmentadministrator (enrollment_id, staff_member_id, role, created_at)
            SELECT e.id, s.id, 'primary', now() FROM carriers_portalenrollment e
            JOIN staff_staffmember s ON s.organization_id = e.organization_id AND s.full_name = 'Person 1'
        """)
        cur.execute("""
            INSERT INTO access_portalaccount (organization_id, staff_member_id, enrollment_id, portal_user_id, status,
                password_reference, mfa_enrolled, password_last_changed, last_login_attested, provisioned_at,
                status_changed_at, source, created_at, updated_at)
            SELECT s.organization_id, s.id, e.id, 'u' || s.id || '-' || e.id, 'active', '',
                   mod(s.id + e.id, 100) <> 0,
                   CURRENT_DATE - mod(s.id * 7 + e.id, 50)::int,
                   CURRENT_DATE - mod(s.id * 13 + e.id, 18)::int,
                   now() - interval '400 days', now(), 'import', now(), now()
            FROM staff_staffmember s JOIN carriers_portalenrollment e ON e.organization_id = s.organization_id
        """, [])
        cur.execute("""
            INSERT INTO access_portalaccount_functions (portalaccount_id, portalfunction_id)
            SELECT a.id, f.id FROM access_portalaccount a CROSS JOIN carriers_portalfunction f
            WHERE f.code = 'eligibility_benefits' OR (f.code = 'claim_status' AND mod(a.id, 2) = 0)
        """, [])
        cur.execute("ANALYZE")
    print(f"fixture built in {time.perf_counter() - t0:.1f} s: {orgs} practices, {orgs * staff:,} people, "
          f"{PortalAccount.objects.count():,} portal accounts")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timers:
    """Seconds spent in each part of the job, to show where the time goes."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def wrap(self, label, func):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t0

        return timed


def _instrument(timers: Timers) -> None:
    from django.db.models.query import QuerySet

    import offboarding.jobs
    import offboarding.sync
    from findings import rules as findings_rules
    from offboarding import rules as offboarding_rules

    offboarding.sync.organization_sync = timers.wrap("offboarding: checklists, movers", offboarding.sync.organization_sync)
    offboarding.jobs.reminders_send = timers.wrap("offboarding: reminders", offboarding.jobs.reminders_send)
    offboarding.jobs.escalate_overdue = timers.wrap("offboarding: escalation", offboarding.jobs.escalate_overdue)
    i = findings_rules.RULE_PROVIDERS.index(offboarding_rules.offboarding_specs)
    findings_rules.RULE_PROVIDERS[i] = timers.wrap("offboarding: hygiene rules", offboarding_rules.offboarding_specs)
    findings_rules._builtin_rules = timers.wrap("findings: built-in rules", findings_rules._builtin_rules)
    original = QuerySet.bulk_update

    def bulk_update(self, objs, fields, *args, **kwargs):
        if self.model._meta.label == "findings.Finding":
            return timers.wrap("findings: bulk_update of open findings", original)(self, objs, fields, *args, **kwargs)
        return original(self, objs, fields, *args, **kwargs)

    QuerySet.bulk_update = bulk_update


def run(db: str) -> None:
    _setup_django(db)
    from django.db import connection

    from accounts.models import Organization
    from core.context import Actor, acting_as
    from findings.models import Finding
    from hygiene.models import JobRun
    from hygiene.services import run_daily_hygiene
    from offboarding.models import OffboardingCase

    queries = {"n": 0}

    def count(execute, sql, params, many, context):
        queries["n"] += 1
        return execute(sql, params, many, context)

    fresh = not JobRun.objects.filter(job="daily_hygiene").exists()
    orgs = Organization.objects.count()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM access_portalaccount")
        n_accounts = cur.fetchone()[0]
    rows = []
    base = _rss_mb()
    with acting_as(Actor.job("hygiene.tasks.daily_hygiene")), connection.execute_wrapper(count):
        for n in (1, 2):
            label = ("first run (opens findings, leavers)" if n == 1 else "second run (steady state)") if fresh \
                else f"run {n} (steady state)"
            timers = Timers()
            if n == 2:
                _instrument(timers)
            queries["n"] = 0
            t0 = time.perf_counter()
            job = run_daily_hygiene()
            seconds = time.perf_counter() - t0
            rows.append((label, seconds, _rss_mb() - base, queries["n"], job, timers))
    print()
    print(f"Daily hygiene job over {n_accounts:,} portal accounts in {orgs} organizations (PostgreSQL, db {db})")
    print(f"{'run':<40} {'seconds':>8} {'peak MB':>8} {'queries':>8} {'q/org':>7}  status")
    for label, seconds, mb, q, job, _ in rows:
        print(f"{label:<40} {seconds:8.1f} {mb:8.1f} {q:8,} {q / orgs:7.1f}  {job.status}, "
              f"{len(job.errors)} errors")
    print(f"process baseline {base:.0f} MB (peak MB = growth of max RSS over it); "
          f"open findings {Finding.objects.filter(resolved_at__isnull=True).count():,}; "
          f"leaver checklists {OffboardingCase.objects.count()}; "
          f"reminder e-mails {sum(r[4].counts.get('offboarding.reminders_sent', 0) for r in rows)}")
    print("where the second run's time goes (seconds):")
    for part, secs in sorted(rows[1][5].seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {part:<45} {secs:8.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="portalgov_bench_hygiene")
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--staff", type=int, default=1000, help="people per practice (3 accounts each)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.db, args.orgs, args.staff)
        return
    if args.run:
        run(args.db)
        return
    if args.rebuild:
        _ensure_database(args.db, rebuild=True)
    # Build in a child process, measure in another: fixture memory must not count as the job's.
    subprocess.run([sys.executable, __file__, "--db", args.db, "--orgs", str(args.orgs), "--staff", str(args.staff),
                    "--build"], check=True, cwd=ROOT)
    subprocess.run([sys.executable, __file__, "--db", args.db, "--run"], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
