"""A cheaper flush after each transactional test (live server, browser and concurrency tests) on PostgreSQL.

Django's TransactionTestCase empties the database after each test with one TRUNCATE of every table: a new
file for each of ~70 tables, their ~500 indexes and the audit log's monthly partitions, about a second a test
on a busy machine, whether a table holds rows or not. Here the same end state is reached for less:

- tables (leaf partitions for the partitioned audit log) that hold no row are left alone;
- the append-only audit tables, which refuse DELETE, are TRUNCATEd as before (the test settings' escape
  hatch, AUDIT_ALLOW_TEST_TRUNCATE), the other tables with rows emptied by DELETE in one transaction (every
  foreign key is DEFERRABLE INITIALLY DEFERRED, so the order does not matter);
- then every table is checked to be empty, and post_migrate is sent as Django's flush sends it.

Anything unexpected (an error, a table still holding rows, available_apps or serialized_rollback, another
database) falls back to Django's own flush, so a test never starts on data another test left behind.
"""

from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connections, transaction
from django.test import TransactionTestCase

_django_fixture_teardown = TransactionTestCase._fixture_teardown


def _leaves(cur, tables) -> list[str]:
    """The tables, each partitioned one replaced by its leaf partitions (quoted as regclass prints them)."""
    cur.execute("""
        SELECT c.oid::regclass::text FROM unnest(%s::text[]) AS t(name) JOIN pg_class c ON c.oid = t.name::regclass
         WHERE c.relkind = 'r'
        UNION
        SELECT l.relid::regclass::text FROM unnest(%s::text[]) AS t(name),
               LATERAL pg_partition_tree(t.name::regclass) AS l WHERE l.isleaf
        ORDER BY 1""", [list(tables)] * 2)
    return [row[0] for row in cur.fetchall()]


def _with_rows(cur, relations) -> list[str]:
    if not relations:
        return []
    probes = ", ".join(f"CASE WHEN EXISTS (SELECT 1 FROM {rel}) THEN %s END" for rel in relations)  # noqa: S608
    cur.execute(f"SELECT array_remove(ARRAY[{probes}]::text[], NULL)", relations)  # noqa: S608
    return cur.fetchone()[0]


def _with_triggers(cur) -> set[str]:
    cur.execute("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
    return {row[0] for row in cur.fetchall()}


def fast_flush(alias: str) -> bool:
    """Empty every Django table of the database; False when it could not (the caller flushes the Django way)."""
    connection = connections[alias]
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    try:
        with transaction.atomic(using=alias), connection.cursor() as cur:
            relations = _leaves(cur, tables)
            full = _with_rows(cur, relations)
            append_only = _with_triggers(cur)
            truncate = [rel for rel in full if rel in append_only]
            delete = [rel for rel in full if rel not in append_only]
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
            if truncate:
                cur.execute("TRUNCATE " + ", ".join(truncate))
            for rel in delete:
                cur.execute(f"DELETE FROM {rel}")  # noqa: S608
            if _with_rows(cur, [connection.ops.quote_name(t) for t in tables]):  # the tables themselves
                raise DatabaseError("rows left after the flush")
    except DatabaseError:
        return False
    return True


def _fixture_teardown(self):
    aliases = list(self._databases_names(include_mirrors=False))
    if (self.available_apps is not None or self.serialized_rollback or aliases != ["default"]
            or connections["default"].vendor != "postgresql" or not fast_flush("default")):
        return _django_fixture_teardown(self)
    emit_post_migrate_signal(0, False, "default")


TransactionTestCase._fixture_teardown = _fixture_teardown
