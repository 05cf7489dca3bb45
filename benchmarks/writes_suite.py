"""Benchmark suite: the cost of an audited write, against a plain write measured in the same run.

    python -m benchmarks.writes_suite [--quick]      (DATABASE_URL: the bench PostgreSQL database)

scripts/bench calls run(quick) with Django set up. Measures, one transaction per save:
- plain: StaffMember.objects.create with django-auditlog off (the reference);
- audited: the same create with the audit trail on (the field-diff event, stamped, in the same transaction);
- staff_create: the roster service (e-mail check, validation, diff event and business event);
- staff_create in three consecutive rounds, and in a practice of 10 people against one of 100,000
  (10,000 quick): the per-save cost must not grow with the roster.
Plain and audited saves alternate in blocks so a noisy neighbour hits both alike.

Writes into practices of its own (slug bench-writes-*), removed at the end; the audit events it wrote
stay (the log is append-only), about 4 x SAVES of them.
"""

from __future__ import annotations

import statistics
import time
from functools import partial

from benchmarks.table import row, standalone

SUITE = "writes"


_row = partial(row, SUITE)  # one row builder for every suite (benchmarks/table.py)


def _practice(tag: str):
    from accounts.models import Organization

    stamp = time.time_ns()
    return Organization.objects.create(legal_name=f"Bench writes {tag}", slug=f"bench-writes-{tag}-{stamp}",
                                       tin="911111111")


def _fill(org, rows: int) -> None:
    """Give a practice `rows` people at once (set-based SQL: the setup is not what is measured)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO staff_staffmember (organization_id, full_name, work_email, job_role, employment_status,
                                           created_at, updated_at)
            SELECT %s, 'Filler ' || g, 'filler' || g || '@writes.example', 'front_desk', 'active', now(), now()
            FROM generate_series(1, %s) g
        """, [org.pk, rows])
        cur.execute("ANALYZE staff_staffmember")


def _drop(orgs) -> None:
    from django.db import connection

    ids = [o.pk for o in orgs]
    with connection.cursor() as cur:  # benchmark clean-up only: the rows' own events stay in the log
        cur.execute("DELETE FROM staff_staffmember WHERE organization_id = ANY(%s)", [ids])
        cur.execute("DELETE FROM accounts_organization WHERE id = ANY(%s)", [ids])


def _timed(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1000


class _Saves:
    def __init__(self, org, actor):
        self.org, self.actor, self.i = org, actor, 0
        self.tag = time.time_ns()

    def _email(self, kind):
        self.i += 1
        return f"{kind}{self.tag}x{self.i}@writes.example"

    def plain(self):
        from auditlog.context import disable_auditlog
        from django.db import transaction

        from staff.models import StaffMember

        with transaction.atomic(), disable_auditlog():
            StaffMember.objects.create(organization=self.org, full_name=f"Plain {self.i}",
                                       work_email=self._email("p"), job_role="coder")

    def audited(self):
        from django.db import transaction

        from staff.models import StaffMember

        with transaction.atomic():
            StaffMember.objects.create(organization=self.org, full_name=f"Audited {self.i}",
                                       work_email=self._email("a"), job_role="coder")

    def service(self):
        from staff.services import staff_create

        staff_create(organization=self.org, acting_user=self.actor, full_name=f"Service {self.i}",
                     work_email=self._email("s"), job_role="coder")


def _actor():
    from accounts.models import User

    user = User.objects.filter(is_active=True).order_by("pk").first()
    if user is None:
        user = User.objects.create_user(email=f"bench-writes-{time.time_ns()}@writes.example", password=None,
                                        full_name="Bench writer")
    return user


def run(quick: bool) -> list[dict]:
    saves = 500 if quick else 5000
    big = 10_000 if quick else 100_000
    blocks = 5
    actor = _actor()
    small_org, big_org = _practice("small"), _practice("big")
    try:
        _fill(big_org, big)
        s = _Saves(small_org, actor)
        for fn in (s.plain, s.audited, s.service):  # warm-up: connections, caches, code paths
            _timed(fn, 20)
        plain, audited = [], []
        for _ in range(blocks):  # alternate, so load from elsewhere hits both alike
            plain.append(_timed(s.plain, saves // blocks))
            audited.append(_timed(s.audited, saves // blocks))
        p, a = statistics.median(plain), statistics.median(audited)
        rounds = [_timed(s.service, saves) for _ in range(3)]
        b = _Saves(big_org, actor)
        _timed(b.service, 20)
        big_ms = _timed(b.service, max(saves // 5, 100))
        small_ms = _timed(s.service, max(saves // 5, 100))
    finally:
        _drop([small_org, big_org])
    svc = statistics.median(rounds)
    growth = rounds[2] / rounds[0]
    size_ratio = big_ms / small_ms
    return [
        _row("plain create (auditlog off)", p, "ms/save", "plain create", p, "reference", None,
             f"{saves} saves, one transaction each; median of {blocks} blocks"),
        _row("audited create (field-diff event)", a, "ms/save", "plain create", p, "<= 1.5x", a / p <= 1.5,
             f"{saves} saves alternating with the plain ones"),
        _row("staff_create service", svc, "ms/save", "plain create", p, "report", None,
             "e-mail check + validation + diff event + business event; median of 3 rounds"),
        _row("staff_create round 3 / round 1", rounds[2], "ms/save", "round 1", rounds[0], "<= 1.2x (flat)",
             growth <= 1.2, f"rounds of {saves}: " + ", ".join(f"{r:.3f}" for r in rounds) + " ms/save"),
        _row(f"staff_create, practice of {big:,} people", big_ms, "ms/save", "practice of ~10 people", small_ms,
             "<= 1.2x (flat)", size_ratio <= 1.2, f"{max(saves // 5, 100)} saves in each practice"),
    ]


def main(argv=None) -> None:
    standalone(run, argv)


if __name__ == "__main__":
    main()
