import base64

import pytest
from django.db import connection

TEST_SEED = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(autouse=True)
def _audit_signing_key(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY = TEST_SEED
    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "no-such.key")
    settings.AUDIT_LOG_ORIGIN = "portalgov.audit/test"


def superuser_sql(sql, params=None):
    """Tamper with the log as a superuser would: triggers off for this statement only."""
    if connection.vendor != "postgresql":  # no triggers to lift on SQLite
        with connection.cursor() as cur:
            cur.execute(sql, params)
        return
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        try:
            cur.execute(sql, params)
        finally:
            cur.execute("SET session_replication_role = DEFAULT")


def seal_all(timeout: float = 60.0) -> int:
    """Seal every committed event. The horizon is cluster-wide, so a transaction open in another
    database (a parallel test run) can hold sealing back for a moment: wait for it."""
    import time

    from django.db import connection

    from audits.chain import seal_pending
    from audits.models import AuditEvent, AuditSeal

    if connection.vendor == "postgresql" and connection.in_atomic_block:
        return seal_pending()  # inside the test's own transaction nothing of ours is below the horizon
    deadline = time.monotonic() + timeout
    sealed = 0
    while True:
        sealed += seal_pending()
        if AuditSeal.objects.count() >= AuditEvent.objects.count() or time.monotonic() > deadline:
            return sealed
        time.sleep(0.05)


def make_events(org, n: int, *, start: int = 0):
    """n committed events, each in its own transaction (autocommit)."""
    from audits.services import record_event

    return [record_event("test.event", organization=org, object_type="test.thing", object_id=str(start + i),
                         object_label=f"thing {start + i}", changes={"n": [start + i, start + i + 1]})
            for i in range(n)]
