"""The audit log's free-text search: one lower-cased text over label, message, action and actor, answered
from the trigram index audit_search_trgm (migration 0006_i12c_search) on PostgreSQL."""

import pytest
from django.db import connection, transaction

from audits import selectors
from audits.services import record_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _search(org, q):
    rows, _ = selectors.page(selectors.events(selectors.build_filter(organization_id=org.pk, q=q)))
    return {e.action for e in rows}


def test_search_matches_any_field_in_any_case_and_never_across_fields(world):
    record_event("staff.created", organization=world.org, object_label="Maria Lopez", message="source: form")
    record_event("portal_account.suspended", organization=world.org, object_label="ndelgado on Availity",
                 message="Leave of absence 100%_sure")
    record_event("staff.created", organization=world.other_org, object_label="Maria Lopez")
    assert _search(world.org, "LOPEZ") == {"staff.created"}          # the label, any case
    assert _search(world.org, "absence") == {"portal_account.suspended"}  # the message
    assert _search(world.org, "suspend") == {"portal_account.suspended"}  # the action
    assert _search(world.org, "100%_") == {"portal_account.suspended"}    # % and _ are literal
    assert _search(world.org, "100%%") == set()
    assert _search(world.org, "lopezsource") == set()                    # nothing spans two fields
    assert len(selectors.events(selectors.build_filter(organization_id=world.org.pk, q="maria"))) == 1  # own org only


def _partition_indexes() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("""SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                       WHERE i.inhparent = 'audit_search_trgm'::regclass""")
        return {row[0] for row in cur.fetchall()}


def test_the_search_selector_uses_the_trigram_index(world):
    for n in range(30):
        record_event("staff.updated", organization=world.org, object_label=f"Person {n}", message="source: form")
    names = _partition_indexes()
    assert names, "audit_search_trgm has no partition indexes"
    # A table this small would be read whole, so plans that cannot use an index for the search are switched
    # off: the trigram index must then answer the selector's expression (the page's and the export's).
    off = "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off"
    qs = selectors.events(selectors.build_filter(q="Person 17")).order_by("-timestamp")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(off)
        plan = qs.explain()
    assert any(name in plan for name in names), plan
    where, params = selectors.filter_sql(selectors.build_filter(q="Person 17"))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(off)
        cur.execute(f"EXPLAIN SELECT e.id FROM audits_auditevent e WHERE {where}", params)  # noqa: S608
        copy_plan = "\n".join(row[0] for row in cur.fetchall())
    assert any(name in copy_plan for name in names), copy_plan
