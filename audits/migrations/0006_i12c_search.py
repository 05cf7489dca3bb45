"""PostgreSQL only: a trigram index for the audit log's free-text search.

The search box matches a word anywhere in the object label, the message, the action or the actor
(audits.selectors.SEARCH_TEXT). Without an index that is a scan of every event; with this GIN index
of trigrams over the one expression the selector filters on, it is an index lookup.

pg_trgm is a trusted extension (PostgreSQL 13+): a role with CREATE on the database may create it, no
superuser needed. If the migrating role may not, the migration stops with what to run instead.
The index is built on the partitioned parent, so every month partition (present and future) gets one.
"""

from django.db import migrations

INDEX = "audit_search_trgm"
# The expression alone: with organization_id in front (btree_gin) the planner took the index even for words
# in a sixth of all events and read them all (seconds); alone, it still takes the organization's time-ordered
# index for common words (the first 50 come at once) and this one for rare words.
COLUMNS = "lower(object_label || chr(31) || message || chr(31) || action || chr(31) || actor_label) gin_trgm_ops"
EXTENSIONS = ("pg_trgm",)


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cur:
        cur.execute("SELECT extname FROM pg_extension WHERE extname = ANY(%s)", [list(EXTENSIONS)])
        missing = [e for e in EXTENSIONS if e not in {row[0] for row in cur.fetchall()}]
        if missing:
            cur.execute("SELECT has_database_privilege(current_database(), 'CREATE')")
            if not cur.fetchone()[0]:
                raise RuntimeError(
                    f"The audit search index needs the {' and '.join(missing)} extension(s), and this role may not "
                    "create them. Run once as the database owner or a superuser: "
                    + " ".join(f"CREATE EXTENSION {e};" for e in missing) + " then migrate again."
                )
            for name in missing:
                cur.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")
        # A bigger sort area builds the index several times faster on a large log (this transaction only).
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # The migrating role is a member of the audit owner role (docs/audit-log.md), which owns the table.
        cur.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON audits_auditevent USING gin ({COLUMNS})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("audits", "0002_postgres_immutability")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
