"""The scheduled jobs at billing-company scale, each beside a plain-SQL reference run on the same rows.

- daily hygiene over every practice: the first run (terminates people whose end date passed, opens the
  findings, leavers' checklists) and the steady state (a second run); reference: one plain SQL aggregate
  reading the same account rows with the same joins (what the rules read, with nothing decided);
- findings evaluation of one practice (400 staff x 15 portals = 6,000 accounts), steady state, with its
  SQL statement count; reference: the same aggregate for that practice;
- review launch over ~100,000 and ~300,000 accounts (one campaign per practice); reference: a plain
  INSERT ... SELECT of the same rows, snapshot built by jsonb_build_object, into a scratch table.

Targets (issue 12) are for the full data set; --quick shows them scaled to its size for orientation but
does not judge them (met is empty: at a few hundred accounts fixed per-practice costs dominate).
"""

from __future__ import annotations

from django.db import connection

from .common import result, sql_seconds, timed

SUITE = "jobs"
REVIEWED = "('active', 'suspended')"


def _account_aggregate(org_ids=None) -> float:
    where = "" if org_ids is None else f"AND a.organization_id IN ({', '.join(str(int(o)) for o in org_ids)})"
    return sql_seconds(f"""
        SELECT a.organization_id,
               count(*) FILTER (WHERE s.employment_status = 'terminated' OR s.end_date < current_date),
               count(*) FILTER (WHERE a.last_login_attested < current_date - 90),
               count(*) FILTER (WHERE NOT a.mfa_enrolled),
               count(*) FILTER (WHERE a.password_last_changed < current_date - 60),
               count(DISTINCT p.id), count(f.portalfunction_id)
        FROM access_portalaccount a
        JOIN staff_staffmember s ON s.id = a.staff_member_id
        JOIN carriers_portalenrollment e ON e.id = a.enrollment_id
        JOIN carriers_portal p ON p.id = e.portal_id
        LEFT JOIN access_portalaccount_functions f ON f.portalaccount_id = a.id
        WHERE a.status IN ('requested', 'active', 'suspended', 'deactivation_pending') {where}
        GROUP BY a.organization_id""")  # noqa: S608 (integers only)


def _launch_reference(org_ids) -> float:
    """The floor for a launch: the same rows, joined and snapshotted in SQL, inserted in one statement."""
    ids = ", ".join(str(int(o)) for o in org_ids)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_review_reference")
        cur.execute("CREATE UNLOGGED TABLE bench_review_reference (LIKE reviews_reviewitem INCLUDING DEFAULTS)")
    seconds = sql_seconds(f"""
        INSERT INTO bench_review_reference (id, campaign_id, organization_id, kind, portal_account_id, holder_id,
               holder_name, portal_name, snapshot, flags, flagged, reviewer_id, reviewer_basis, reason,
               decided_by_label, decided_in_bulk, functions_removed, decision)
        SELECT a.id, 0, a.organization_id, 'account', a.id, s.id, s.full_name, p.name,
               jsonb_build_object('holder', s.full_name, 'job_role_code', s.job_role,
                                  'employment_status', s.employment_status, 'manager', m.full_name,
                                  'portal', p.name, 'portal_user_id', a.portal_user_id, 'account_status', a.status,
                                  'functions', (SELECT coalesce(jsonb_agg(jsonb_build_object('code', pf.code,
                                                'name', pf.name)), '[]') FROM access_portalaccount_functions af
                                                JOIN carriers_portalfunction pf ON pf.id = af.portalfunction_id
                                                WHERE af.portalaccount_id = a.id),
                                  'last_login', a.last_login_attested, 'mfa_enrolled', a.mfa_enrolled,
                                  'days_since_login', current_date - a.last_login_attested),
               CASE WHEN s.employment_status = 'terminated' THEN '["terminated"]'::jsonb ELSE '[]'::jsonb END,
               s.employment_status = 'terminated', m.user_id, 'manager', '', '', false, '[]', ''
        FROM access_portalaccount a
        JOIN staff_staffmember s ON s.id = a.staff_member_id
        LEFT JOIN staff_staffmember m ON m.id = s.manager_id
        JOIN carriers_portalenrollment e ON e.id = a.enrollment_id
        JOIN carriers_portal p ON p.id = e.portal_id
        WHERE a.organization_id IN ({ids}) AND a.status IN {REVIEWED}""")  # noqa: S608 (integers only)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_review_reference")
    return seconds


def _reviewed_per_org() -> list[tuple[int, int]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT organization_id, count(*) FROM access_portalaccount WHERE status IN {REVIEWED} "
                    "GROUP BY organization_id ORDER BY organization_id")  # noqa: S608
        return cur.fetchall()


def hygiene_measures(quick: bool) -> list[dict]:
    from core.context import Actor, acting_as
    from hygiene.services import run_daily_hygiene

    with connection.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT organization_id) FROM access_portalaccount")
        accounts, orgs = cur.fetchone()
    ref = _account_aggregate()
    rows = []
    scale = accounts / 300_000
    with acting_as(Actor.job("hygiene.tasks.daily_hygiene")):
        for label, limit in (("first run", 60.0), ("steady state", 30.0)):
            with timed() as t:
                job = run_daily_hygiene()
            target = limit * scale
            rows.append(result(
                SUITE, f"daily hygiene, {label} ({accounts:,} accounts)", t["seconds"], "s",
                reference="SQL aggregate over the same rows", reference_value=ref,
                target=f"< {target:.1f} s" + (f" ({limit:.0f} s per 300k, scaled)" if quick else ""),
                met=None if quick else t["seconds"] < target,
                notes=f"{t['cpu']:.1f} s Python CPU; {t['queries']:,} queries ({t['queries'] / max(orgs, 1):.0f} per "
                      f"practice); {job.status}, "
                      f"{len(job.errors)} errors; counts {job.counts}"))
            if job.errors:
                raise RuntimeError(f"daily hygiene failed: {job.errors[:2]}")
    return rows


def findings_measures(quick: bool) -> list[dict]:
    from accounts.models import Organization
    from findings.services import findings_evaluate_organization

    org = Organization.objects.filter(slug__startswith="synth-").order_by("pk").first()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM access_portalaccount WHERE organization_id = %s", [org.pk])
        accounts = cur.fetchone()[0]
    findings_evaluate_organization(organization=org)  # steady state: already evaluated by the job, once more
    runs, cpu = [], []
    for _ in range(3):
        with timed() as t:
            findings_evaluate_organization(organization=org)
        runs.append((t["seconds"], t["queries"]))
        cpu.append(t["cpu"])
    seconds = sorted(s for s, _ in runs)[1]
    queries = runs[-1][1]
    ref = _account_aggregate([org.pk])
    target = 1.0 * accounts / 6000
    return [
        result(SUITE, f"findings evaluation, steady state ({accounts:,} accounts, one practice)", seconds, "s",
               reference="SQL aggregate over the same rows", reference_value=ref,
               target=f"< {target:.2f} s" + (" (1 s per 6,000, scaled)" if quick else ""), met=None if quick else seconds < target,
               notes=f"median of 3; {sorted(cpu)[1]:.2f} s Python CPU"),
        result(SUITE, "findings evaluation: SQL statements per practice", queries, "queries",
               target="constant whatever the size (tests/findings/test_query_budget.py)",
               met=len({q for _, q in runs}) == 1, notes=f"the 3 runs: {[q for _, q in runs]}"),
    ]


def launch_measures(quick: bool) -> list[dict]:
    from accounts.models import Organization
    from reviews.launch import campaign_launch

    per_org = _reviewed_per_org()
    total = sum(n for _, n in per_org)
    goal = 100_000 if not quick else max(1, total // 3)
    first, acc = [], 0
    for org_id, n in per_org:
        if acc >= goal:
            break
        first.append(org_id)
        acc += n
    orgs = Organization.objects.in_bulk([o for o, _ in per_org])
    rows = []
    for period, org_ids, count in (("2020Q1", first, acc), ("2020Q2", [o for o, _ in per_org], total)):
        ref = _launch_reference(org_ids)
        items = 0
        with timed() as t:
            for org_id in org_ids:
                campaign = campaign_launch(organization=orgs[org_id], period=period)
                items += campaign.scope["items"]
        target = count / 10_000  # 100,000 in 10 s, 300,000 in 30 s
        rows.append(result(
            SUITE, f"review launch, {count:,} accounts ({len(org_ids)} practices)", t["seconds"], "s",
            reference="INSERT ... SELECT of the same rows", reference_value=ref,
            target=f"< {target:.1f} s" + (" (10,000 items/s)" if quick else ""),
            met=None if quick else t["seconds"] < target,
            notes=f"{items:,} items, {items / t['seconds']:,.0f} items/s, {t['cpu']:.1f} s Python CPU, "
                  f"{t['queries']:,} queries"))
    with timed() as t:
        for org_id in first:
            campaign_launch(organization=orgs[org_id], period="2020Q1")
    rows.append(result(SUITE, f"review launch again (idempotent, {len(first)} practices)", t["seconds"], "s",
                       notes=f"{t['queries']:,} queries: nothing to do"))
    return rows


def run(quick: bool) -> list[dict]:
    return [*hygiene_measures(quick), *findings_measures(quick), *launch_measures(quick)]
