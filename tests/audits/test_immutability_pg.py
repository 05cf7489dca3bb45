# ruff: noqa: S608
"""(a) In PostgreSQL the application's role can only read and append the audit tables, and triggers
refuse UPDATE, DELETE and TRUNCATE even for the owner (the test connects as a superuser, so it
switches to the app role with SET ROLE)."""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from audits.models import AuditEvent
from audits.services import record_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

AUDIT_TABLES = ["audits_auditevent", "audits_auditseal", "audits_auditcheckpoint", "audits_auditarchive",
                "audits_auditverification"]


def _fails(sql, match):
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)


@pytest.fixture
def as_app_role():
    with connection.cursor() as cur:
        cur.execute(f'SET ROLE "{settings.AUDIT_DB_APP_ROLE}"')
    yield
    with connection.cursor() as cur:
        cur.execute("RESET ROLE")


def test_app_role_can_append_and_read_but_not_change(world, as_app_role):
    event = record_event("test.appended", organization=world.org, message="appended as the app role")
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    for table in AUDIT_TABLES:
        _fails(f"UPDATE {table} SET id = id" if table != "audits_auditseal" else f"UPDATE {table} SET seq = seq",
               "permission denied")
        _fails(f"DELETE FROM {table}", "permission denied")
        _fails(f"TRUNCATE {table}", "permission denied")
        _fails(f"ALTER TABLE {table} DISABLE TRIGGER ALL", "must be owner")
    _fails("TRUNCATE audits_auditevent_default", "permission denied")
    _fails("SET session_replication_role = replica", "permission denied")
    _fails(f"DROP TABLE {AUDIT_TABLES[0]}", "must be owner")


def test_orm_refuses_to_change_an_event(world):
    event = record_event("test.appended", organization=world.org)
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_triggers_refuse_even_the_owner(world):
    event = record_event("test.appended", organization=world.org)
    _fails(f"UPDATE audits_auditevent SET message = 'x' WHERE id = {event.pk}", "append-only")
    _fails(f"DELETE FROM audits_auditevent WHERE id = {event.pk}", "append-only")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL audits.allow_truncate = 'off'")  # test databases allow Django's flush otherwise
    _fails("TRUNCATE audits_auditevent", "append-only")
    _fails("TRUNCATE audits_auditseal", "append-only")
    with connection.cursor() as cur:
        cur.execute("SELECT audits_ensure_partition(now()::date)")
        partition = cur.fetchone()[0]
    _fails(f"TRUNCATE {partition}", "append-only")  # a partition's own TRUNCATE trigger
    _fails(f"DELETE FROM {partition}", "append-only")  # row triggers are cloned to partitions


def test_tables_are_owned_by_the_audit_owner_role(world):
    with connection.cursor() as cur:
        cur.execute("SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.relname = ANY(%s)",
                    [AUDIT_TABLES])
        owners = dict(cur.fetchall())
        cur.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [settings.AUDIT_DB_OWNER_ROLE])
        (can_login,) = cur.fetchone()
        cur.execute("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'audits_auditevent'::regclass")
        (strategy,) = cur.fetchone()
    assert owners == {t: settings.AUDIT_DB_OWNER_ROLE for t in AUDIT_TABLES}
    assert can_login is False
    assert strategy == "r"  # range partitions by month
