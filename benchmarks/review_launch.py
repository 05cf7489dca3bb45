"""Benchmark: launch an access-review campaign over 100,000 portal accounts (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reviews_bench \
        python benchmarks/review_launch.py [--accounts 100000] [--batch 2000]

Seeds one practice with N active portal accounts (4 per person, 2 functions each, some flagged:
leavers, beyond policy, inactive) and open findings, then launches the campaign and prints a
table: seconds, peak Python memory (tracemalloc, on a second launch of another period), queries,
items, and the time of a repeated launch (idempotent: nothing to do).

The seed writes the roster and accounts with INSERT ... SELECT generate_series: this is benchmark
data, not a product write path, and going through the governed ORM would add 300,000 audit diffs
that have nothing to do with what is measured. The launch itself runs the product code unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

SLUG = "bench-reviews"
PEOPLE_PER_MANAGER = 12
ACCOUNTS_PER_PERSON = 4


@transaction.atomic
def seed(n_accounts: int) -> object:
    from access.models import PortalAccount
    from accounts.models import Organization, Role
    from accounts.services import membership_grant
    from carriers.models import Portal, PortalEnrollment, PortalFunction
    from reviews.models import ReviewCampaign

    org = Organization.objects.filter(slug=SLUG).first()
    if org is not None and PortalAccount.objects.filter(organization=org).count() == n_accounts:
        return org
    if org is None:
        org = Organization.objects.create(legal_name="Benchmark Reviews Medical Group, PLLC", slug=SLUG,
                                          tin="981234567", billing_states=["WA"], practice_state="WA")
    with connection.cursor() as cur:  # start over (benchmark data only)
        for table, col in (("reviews_reviewitem", "organization_id"), ("findings_finding", "organization_id")):
            cur.execute(f"DELETE FROM {table} WHERE {col} = %s", [org.pk])  # noqa: S608
        cur.execute("DELETE FROM reviews_reviewreminder WHERE campaign_id IN "
                    "(SELECT id FROM reviews_reviewcampaign WHERE organization_id = %s)", [org.pk])
        cur.execute("DELETE FROM reviews_reviewcampaign WHERE organization_id = %s", [org.pk])
        cur.execute("DELETE FROM access_portalaccount_functions WHERE portalaccount_id IN "
                    "(SELECT id FROM access_portalaccount WHERE organization_id = %s)", [org.pk])
        cur.execute("DELETE FROM access_portalaccount WHERE organization_id = %s", [org.pk])
        cur.execute("DELETE FROM staff_enrollmentadministrator WHERE staff_member_id IN "
                    "(SELECT id FROM staff_staffmember WHERE organization_id = %s)", [org.pk])
        cur.execute("UPDATE staff_staffmember SET manager_id = NULL WHERE organization_id = %s", [org.pk])
        cur.execute("DELETE FROM staff_staffmember WHERE organization_id = %s", [org.pk])
    assert not ReviewCampaign.objects.filter(organization=org).exists()
    from accounts.models import User

    reviewers = []
    for i in range(5):
        user, _ = User.objects.get_or_create(email=f"reviewer{i}@bench.example", defaults={"full_name": f"Reviewer {i}"})
        if not org.memberships.filter(user=user).exists():
            membership_grant(organization=org, user=user, role=Role.BILLING_MANAGER if i else Role.ADMINISTRATOR)
        reviewers.append(user)
    enrollments = []
    for i in range(ACCOUNTS_PER_PERSON):
        portal, _ = Portal.objects.get_or_create(organization=org, name=f"Bench portal {i}",
                                                 defaults={"architecture": Portal.Architecture.HUB,
                                                           "url": f"https://bench{i}.example.com/"})
        portal.functions.set(PortalFunction.objects.all())
        enrollment, _ = PortalEnrollment.objects.get_or_create(organization=org, portal=portal, defaults={
            "status": PortalEnrollment.Status.REGISTERED, "tin": org.tin})
        enrollments.append(enrollment.pk)
    people = n_accounts // ACCOUNTS_PER_PERSON  # n_accounts is taken as a multiple of 4
    fn = dict(PortalFunction.objects.values_list("code", "pk"))
    with connection.cursor() as cur:
        # Managers first (every 12th person is one; reviewer logins hang off the first four).
        cur.execute("""
            INSERT INTO staff_staffmember (organization_id, full_name, work_email, job_role, employment_status,
                                           created_at, updated_at)
            SELECT %s, 'Person ' || g, 'person' || g || '@bench.example',
                   CASE WHEN g %% 12 = 0 THEN 'billing_manager' ELSE 'front_desk' END,
                   CASE WHEN g %% 50 = 0 THEN 'terminated' ELSE 'active' END, now(), now()
            FROM generate_series(1, %s) g""", [org.pk, people])
        cur.execute("SELECT min(id) FROM staff_staffmember WHERE organization_id = %s", [org.pk])
        first = cur.fetchone()[0]
        cur.execute("""UPDATE staff_staffmember s SET manager_id = %s + ((s.id - %s) / 12) * 12 + 11
                       WHERE organization_id = %s AND (s.id - %s) %% 12 <> 11
                         AND %s + ((s.id - %s) / 12) * 12 + 11 < %s + %s""",
                    [first, first, org.pk, first, first, first, first, people])
        for i, user in enumerate(reviewers[1:]):
            cur.execute("UPDATE staff_staffmember SET user_id = %s WHERE id = %s", [user.pk, first + 11 + 12 * i])
        values = ", ".join(f"({e})" for e in enrollments)
        cur.execute(f"""
            INSERT INTO access_portalaccount (organization_id, staff_member_id, enrollment_id, portal_user_id, status,
                   password_reference, mfa_enrolled, last_login_attested, status_changed_at, source, created_at,
                   updated_at, provisioned_at)
            SELECT %s, s.id, e.id, 'u' || s.id || '-' || e.id, 'active', '', (s.id %% 7 <> 0),
                   (current_date - ((s.id %% 120) || ' days')::interval)::date, now(), 'import', now(), now(), now()
            FROM staff_staffmember s CROSS JOIN (VALUES {values}) AS e(id)
            WHERE s.organization_id = %s""", [org.pk, org.pk])  # noqa: S608
        # Two functions each; every 25th account also holds payments (beyond the front-desk policy).
        cur.execute("""
            INSERT INTO access_portalaccount_functions (portalaccount_id, portalfunction_id)
            SELECT a.id, f.id FROM access_portalaccount a
            CROSS JOIN (VALUES (%s), (%s)) AS f(id) WHERE a.organization_id = %s
            UNION ALL
            SELECT a.id, %s FROM access_portalaccount a WHERE a.organization_id = %s AND a.id %% 25 = 0""",
                    [fn["eligibility_benefits"], fn["claim_status"], org.pk, fn["payments_eft"], org.pk])
        cur.execute("""
            INSERT INTO findings_finding (organization_id, rule, severity, severity_rank, key, title, detail,
                                          portal_account_id, first_seen, last_seen, silence_reason)
            SELECT %s, 'beyond_policy', 'high', 1, 'beyond:' || a.id || ':payments_eft',
                   'Holds payments beyond policy', '', a.id, now(), now(), ''
            FROM access_portalaccount a WHERE a.organization_id = %s AND a.id %% 25 = 0""", [org.pk, org.pk])
        cur.execute("ANALYZE")
    return org


def measure(org, period: str, *, trace: bool, batch: int) -> dict:
    from reviews.launch import campaign_launch

    reset_queries()
    if trace:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    # Capturing queries keeps every SQL text (the item INSERTs are megabytes each): only when timing,
    # never while measuring memory.
    ctx = contextlib.nullcontext(None) if trace else CaptureQueriesContext(connection)
    with ctx as captured:
        campaign = campaign_launch(organization=org, period=period, batch_size=batch)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak = None
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"campaign": campaign, "seconds": seconds, "cpu": cpu, "peak_mb": peak / 2**20 if peak else None,
            "sql_seconds": sum(float(q["time"]) for q in captured.captured_queries) if captured else None,
            "queries": len(captured.captured_queries) if captured else None, "items": campaign.items.count()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: set DATABASE_URL=postgres://...")
    t0 = time.perf_counter()
    org = seed(args.accounts)
    seed_s = time.perf_counter() - t0
    from access.models import PortalAccount
    from reviews.models import ReviewCampaign

    accounts = PortalAccount.objects.filter(organization=org, status="active").count()
    ReviewCampaign.objects.filter(organization=org).exists()
    with connection.cursor() as cur:  # each run measures a fresh launch
        cur.execute("DELETE FROM reviews_reviewitem WHERE organization_id = %s", [org.pk])
        cur.execute("DELETE FROM reviews_reviewreminder WHERE campaign_id IN "
                    "(SELECT id FROM reviews_reviewcampaign WHERE organization_id = %s)", [org.pk])
        cur.execute("DELETE FROM reviews_reviewcampaign WHERE organization_id = %s", [org.pk])
    load = os.getloadavg()[0]
    timed = measure(org, "2026Q4", trace=False, batch=args.batch)
    again_t = time.perf_counter()
    from reviews.launch import campaign_launch

    campaign_launch(organization=org, period="2026Q4")
    again = time.perf_counter() - again_t
    traced = measure(org, "2026Q3", trace=True, batch=args.batch)
    scope = timed["campaign"].scope
    rows = [
        ("database", f"PostgreSQL {connection.pg_version // 10000}"),
        ("portal accounts (active)", f"{accounts:,}"),
        ("seed (s, not part of the launch)", f"{seed_s:.1f}"),
        ("batch size", f"{args.batch}"),
        ("machine load average (1 min) before the launch", f"{load:.1f} on {os.cpu_count()} CPUs"),
        ("launch: seconds (wall clock)", f"{timed['seconds']:.1f}"),
        ("launch: CPU seconds of this process", f"{timed['cpu']:.1f}"),
        ("launch: seconds waiting on SQL", f"{timed['sql_seconds']:.1f}"),
        ("launch: items written", f"{timed['items']:,}"),
        ("launch: flagged items", f"{scope['flagged']:,}"),
        ("launch: reviewers", f"{scope['reviewers']}"),
        ("launch: SQL queries", f"{timed['queries']:,}"),
        ("launch: items per second", f"{timed['items'] / timed['seconds']:,.0f}"),
        ("launch again (idempotent): seconds", f"{again:.2f}"),
        ("launch with tracemalloc: seconds", f"{traced['seconds']:.1f}"),
        ("launch: peak Python memory (MiB)", f"{traced['peak_mb']:.1f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"| {'measure'.ljust(width)} | value |")
    print(f"| {'-' * width} | ----- |")
    for key, value in rows:
        print(f"| {key.ljust(width)} | {value} |")


if __name__ == "__main__":
    main()
