"""PostgreSQL only: monthly partitions, a NOLOGIN owner role, SELECT/INSERT-only grants for the
application's role, and triggers refusing UPDATE, DELETE and TRUNCATE on every audit table and
partition. Role names come from settings (AUDIT_DB_*_ROLE). Runs as a superuser or a role with
CREATEROLE that can also grant ownership (see docs/audit-log.md, "Database roles").
"""

import datetime as dt

from django.conf import settings
from django.db import migrations

PROTECTED = ["audits_auditseal", "audits_auditcheckpoint", "audits_auditarchive", "audits_auditverification"]


def _q(conn, name):
    return conn.ops.quote_name(name)


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    owner = settings.AUDIT_DB_OWNER_ROLE
    app = settings.AUDIT_DB_APP_ROLE
    retention = settings.AUDIT_DB_RETENTION_ROLE
    # Django's test databases are flushed with TRUNCATE between transactional tests: only there may a
    # session allow it (audits.allow_truncate). The test settings turn this on explicitly
    # (AUDIT_ALLOW_TEST_TRUNCATE); a database's name never does. Production functions have no such clause.
    allow_test_truncate = getattr(settings, "AUDIT_ALLOW_TEST_TRUNCATE", False) is True
    truncate_escape = (
        "IF TG_OP = 'TRUNCATE' AND coalesce(current_setting('audits.allow_truncate', true), 'on') <> 'off' "
        "THEN RETURN NULL; END IF;" if allow_test_truncate else ""
    )
    with conn.cursor() as cur:
        # django-auditlog's own migrations still create auditlog_logentry although AUDITLOG_LOGENTRY_MODEL
        # points here; the unused table's FKs would make every TRUNCATE of users (Django's test flush) fail.
        cur.execute("""
            DO $$ DECLARE r record; BEGIN
              FOR r IN SELECT conname FROM pg_constraint
                       WHERE conrelid = to_regclass('auditlog_logentry') AND contype = 'f'
              LOOP EXECUTE 'ALTER TABLE auditlog_logentry DROP CONSTRAINT ' || quote_ident(r.conname); END LOOP;
            END $$;
        """)
        cur.execute("SELECT current_schema()")
        schema = cur.fetchone()[0]
        for role in (owner, retention, app):
            # Roles are cluster-wide and parallel test databases race to create them.
            cur.execute(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) THEN "
                f"EXECUTE 'CREATE ROLE {_q(conn, role)} NOLOGIN'; END IF; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
                [role],
            )
        cur.execute(f"GRANT USAGE, CREATE ON SCHEMA {_q(conn, schema)} TO {_q(conn, owner)}")
        cur.execute(f"GRANT USAGE ON SCHEMA {_q(conn, schema)} TO {_q(conn, app)}")
        cur.execute(f"GRANT {_q(conn, owner)} TO {_q(conn, retention)}")

        # 1. The event table becomes a partitioned table with the same columns, defaults and indexes.
        cur.execute(f"""
            ALTER TABLE audits_auditevent RENAME TO audits_auditevent_plain;
            CREATE SEQUENCE audits_auditevent_pk_seq;
            CREATE TABLE audits_auditevent (LIKE audits_auditevent_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
                PARTITION BY RANGE ("timestamp");
            ALTER TABLE audits_auditevent ALTER COLUMN id SET DEFAULT nextval('audits_auditevent_pk_seq');
            ALTER SEQUENCE audits_auditevent_pk_seq OWNED BY audits_auditevent.id;
            DO $$ DECLARE r record; BEGIN
              FOR r IN SELECT indexname, indexdef FROM pg_indexes
                       WHERE tablename = 'audits_auditevent_plain' AND schemaname = current_schema()
                         AND indexname NOT LIKE '%pkey'
              LOOP
                EXECUTE 'DROP INDEX ' || quote_ident(r.indexname);
                EXECUTE replace(r.indexdef, 'audits_auditevent_plain', 'audits_auditevent');
              END LOOP;
            END $$;
            DROP TABLE audits_auditevent_plain;
            ALTER TABLE audits_auditevent ADD CONSTRAINT audits_auditevent_pkey PRIMARY KEY (id, "timestamp");
        """)

        # 2. The guard function and the partition maker.
        cur.execute(f"""
            CREATE OR REPLACE FUNCTION audits_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              {truncate_escape}
              RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
            END $$;
        """)
        cur.execute(f"""
            CREATE OR REPLACE FUNCTION audits_ensure_partition(month date) RETURNS text
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = {_q(conn, schema)}, pg_temp AS $$
            DECLARE
              start date := date_trunc('month', month)::date;
              stop date := (date_trunc('month', month) + interval '1 month')::date;
              part text := 'audits_auditevent_' || to_char(start, 'YYYY_MM');
            BEGIN
              IF to_regclass(part) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF audits_auditevent FOR VALUES FROM (%L) TO (%L)',
                               part, start::text || ' 00:00:00+00', stop::text || ' 00:00:00+00');
                EXECUTE format('CREATE TRIGGER audits_no_truncate BEFORE TRUNCATE ON %I '
                               'FOR EACH STATEMENT EXECUTE FUNCTION audits_forbid_change()', part);
              END IF;
              RETURN part;
            END $$;
        """)

        # 3. Triggers: row triggers on the parent are cloned to every partition; TRUNCATE triggers are not,
        #    so each partition gets its own (audits_ensure_partition does that for new ones).
        for table in ["audits_auditevent", *PROTECTED]:
            cur.execute(f"""
                CREATE TRIGGER audits_no_update_delete BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION audits_forbid_change();
                CREATE TRIGGER audits_no_truncate BEFORE TRUNCATE ON {table}
                    FOR EACH STATEMENT EXECUTE FUNCTION audits_forbid_change();
            """)

        # 4. Ownership and grants. The owner role owns tables, sequences and functions; the app may only
        #    read and append (and run the partition maker).
        for table in ["audits_auditevent", *PROTECTED]:
            cur.execute(f"ALTER TABLE {table} OWNER TO {_q(conn, owner)}")
            # Default privileges of the migrating role may have granted more: take everything back first.
            cur.execute(f"REVOKE ALL ON {table} FROM PUBLIC, {_q(conn, app)}, {_q(conn, retention)}")
            cur.execute(f"GRANT SELECT, INSERT ON {table} TO {_q(conn, app)}")
            if table == "audits_auditseal":
                continue  # no id column: seq is assigned by the sealer
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            seq = cur.fetchone()[0]
            if seq:
                cur.execute(f"GRANT USAGE, SELECT ON SEQUENCE {seq} TO {_q(conn, app)}")
        cur.execute(f"ALTER FUNCTION audits_forbid_change() OWNER TO {_q(conn, owner)}")
        cur.execute(f"ALTER FUNCTION audits_ensure_partition(date) OWNER TO {_q(conn, owner)}")
        cur.execute("REVOKE ALL ON FUNCTION audits_ensure_partition(date) FROM PUBLIC")
        cur.execute(f"GRANT EXECUTE ON FUNCTION audits_ensure_partition(date) TO {_q(conn, app)}")

        # 5. Partitions: a catch-all DEFAULT, and months from a year back to three months ahead.
        cur.execute("CREATE TABLE audits_auditevent_default PARTITION OF audits_auditevent DEFAULT")
        cur.execute("""CREATE TRIGGER audits_no_truncate BEFORE TRUNCATE ON audits_auditevent_default
                       FOR EACH STATEMENT EXECUTE FUNCTION audits_forbid_change()""")
        cur.execute(f"ALTER TABLE audits_auditevent_default OWNER TO {_q(conn, owner)}")
        today = dt.date.today().replace(day=1)
        for i in range(-12, 4):
            y, m = divmod(today.month - 1 + i, 12)
            cur.execute("SELECT audits_ensure_partition(%s)", [dt.date(today.year + y, m + 1, 1)])


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial"), ("auditlog", "0017_add_actor_email")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
