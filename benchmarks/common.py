"""Shared by the benchmark suites (scripts/bench): the data set sizes and one row of the table.

Each suite module (benchmarks/<name>_suite.py) has run(quick: bool) -> list[dict]; it runs against the
bench database that scripts/bench built with generate_synthetic at SIZES["quick" | "full"]."""

from __future__ import annotations

import time
from contextlib import contextmanager

from django.db import connection

from .table import row

SIZES = {
    "full": {"orgs": 50, "staff": 400, "portals": 15, "events": 2_000_000},
    "quick": {"orgs": 3, "staff": 60, "portals": 6, "events": 30_000},
}
FIELDS = ("suite", "measure", "value", "unit", "reference", "reference_value", "ratio", "target", "met", "notes")


def result(suite: str, measure: str, value, unit: str, *, reference: str = "", reference_value=None,
           target: str = "", met: bool | None = None, notes: str = "") -> dict:
    """One line of the table (benchmarks.table.row, by keyword)."""
    return row(suite, measure, value, unit, reference, reference_value, target, met, notes)


class QueryCounter:
    """Counts the SQL statements run on the default connection (no text kept: constant memory)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def timed():
    """with timed() as t: ...; t["seconds"] (wall clock), t["cpu"] (this process), t["queries"]. On a busy
    machine the wall clock grows with the load; this process's CPU seconds much less so."""
    counter = QueryCounter()
    out = {"seconds": None, "cpu": None, "queries": 0}
    t0, c0 = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        yield out
    out["seconds"] = time.perf_counter() - t0
    out["cpu"] = time.process_time() - c0
    out["queries"] = counter.count


def sql_seconds(sql: str, params=None) -> float:
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        if cur.description:
            cur.fetchall()
    return time.perf_counter() - t0
