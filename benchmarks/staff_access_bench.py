"""Benchmark: findings evaluation and the roster / access-matrix pages for one large practice.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portalgov_bench_access python benchmarks/staff_access_bench.py [--staff 2000]

The database named in DATABASE_URL is DROPPED and re-created: never point it at a real one.
Builds STAFF people (mixed job roles, 2% leavers, 5% on leave) each holding an account on 3 registered
portals, with 3% of accounts holding a function beyond policy; then times one full evaluation (first:
opens every finding; second: steady state), and one GET of the roster, the access matrix, its CSV
export and the findings page, with the number of SQL queries each. Not a test: the suite never runs it.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")


def _recreate_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    conn = psycopg2.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username,
                            password=parsed.password, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=2000)
    args = parser.parse_args()
    _recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)

    from access.models import AccountStatus, PortalAccount
    from accounts.models import Organization, Role, User
    from accounts.services import membership_grant
    from carriers.models import Portal, PortalEnrollment, PortalFunction
    from findings.services import findings_evaluate_organization
    from security.testing import mark_session_mfa_verified
    from staff.models import EnrollmentAdministrator, JobRole, StaffMember

    org = Organization.objects.create(legal_name="Bench Practice", slug="bench", tin="914567812")
    admin_user = User.objects.create_user(email="bench@example.org", password=None, full_name="Bench Admin")
    membership_grant(organization=org, user=admin_user, role=Role.ADMINISTRATOR)
    fns = {f.code: f for f in PortalFunction.objects.all()}
    enrollments = []
    for n in range(3):
        portal = Portal.objects.create(name=f"Portal {n}", architecture="hub", url=f"https://p{n}.example.com/",
                                       reference_key=f"bench-{n}")
        portal.functions.set(fns.values())
        enrollments.append(PortalEnrollment.objects.create(organization=org, portal=portal, status="registered"))
    roles = list(JobRole.values)
    people = StaffMember.objects.bulk_create([
        StaffMember(organization=org, full_name=f"Person {i:05d}", work_email=f"p{i}@bench.example",
                    job_role=roles[i % len(roles)],
                    employment_status="terminated" if i % 50 == 0 else "on_leave" if i % 20 == 1 else "active")
        for i in range(args.staff)])
    for e in enrollments:
        EnrollmentAdministrator.objects.create(enrollment=e, staff_member=people[3], role="primary")
    accounts = PortalAccount.objects.bulk_create([
        PortalAccount(organization=org, staff_member=p, enrollment=e, portal_user_id=f"u{p.pk}x{e.pk}",
                      status=AccountStatus.ACTIVE)
        for p in people for e in enrollments])
    through = PortalAccount.functions.through
    rows = []
    for i, a in enumerate(accounts):
        rows.append(through(portalaccount_id=a.pk, portalfunction_id=fns["eligibility_benefits"].pk))
        if i % 33 == 0:
            rows.append(through(portalaccount_id=a.pk, portalfunction_id=fns["fee_schedules"].pk))
    through.objects.bulk_create(rows, batch_size=5000)
    print(f"{args.staff} staff, {len(accounts)} accounts, {len(rows)} function grants on {connection.vendor}")

    for label in ("first evaluation", "steady-state evaluation"):
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            counts = findings_evaluate_organization(organization=org)
        print(f"{label}: {time.perf_counter() - start:.2f} s, {len(q)} queries, {counts}")

    client = Client()
    client.force_login(admin_user)
    mark_session_mfa_verified(client, admin_user)
    client.get("/o/bench/")
    for path in ("/o/bench/staff/", "/o/bench/access/matrix/", "/o/bench/access/matrix/?format=csv",
                 "/o/bench/findings/", "/o/bench/access/tasks/?assignee=all"):
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            response = client.get(path)
        print(f"GET {path}: {response.status_code}, {time.perf_counter() - start:.3f} s, {len(q)} queries, "
              f"{len(response.content) // 1024} KB")


if __name__ == "__main__":
    main()
