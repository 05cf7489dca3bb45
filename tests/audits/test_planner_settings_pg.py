"""The sealer and the export turn planner settings off for their own statements only.

SET LOCAL outlives a released savepoint: inside a caller's transaction (a job that seals and then verifies,
every test) a leaked enable_sort = off made each later plan with a sort cost more than jit_above_cost, so a
one-row query was JIT-compiled for hundreds of milliseconds (the crawler's 240 ms per request)."""

import io

import pytest
from django.db import connection

from audits.chain import planner_settings, seal_pending
from audits.exporting import ExportPlan, write_copy
from audits.selectors import AuditFilter
from audits.services import record_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _setting(name):
    with connection.cursor() as cur:
        cur.execute(f"SHOW {name}")
        return cur.fetchone()[0]


def test_planner_settings_hold_inside_the_block_and_come_back_after():
    with connection.cursor() as cur, planner_settings(cur, enable_sort="off", enable_hashjoin="off"):
        assert (_setting("enable_sort"), _setting("enable_hashjoin")) == ("off", "off")
    assert (_setting("enable_sort"), _setting("enable_hashjoin")) == ("on", "on")


def test_sealing_inside_a_transaction_leaves_the_planner_as_it_was():
    record_event("test.planner", message="one event")
    assert connection.in_atomic_block
    seal_pending()
    assert _setting("enable_sort") == "on"


def test_an_export_inside_a_transaction_leaves_the_planner_as_it_was():
    record_event("test.planner", message="one event")
    plan = ExportPlan(fmt="jsonl", flt=AuditFilter(), tree_size=0, checkpoint_note="", root=b"", event_id=0)
    write_copy(plan, io.BytesIO())
    assert (_setting("enable_sort"), _setting("enable_hashjoin")) == ("on", "on")
