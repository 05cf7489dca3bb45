"""(c) Several processes writing at once, with the sealer running meanwhile, leave one gap-free chain
that verifies and covers exactly the committed events (rolled-back ones never appear)."""

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from django.db import connection

from audits.chain import seal_pending
from audits.models import AuditEvent, AuditSeal
from audits.verify import verify_log

from .conftest import seal_all

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _db_url():
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def test_concurrent_writers_leave_a_chain_that_verifies():
    env = {**os.environ, "DATABASE_URL": _db_url(), "DJANGO_SETTINGS_MODULE": "portalgov.test_settings"}
    writers = [
        subprocess.Popen([sys.executable, "-m", "tests.audits._writer", "150", f"w{i}"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(4)
    ]
    sealed_while_writing = 0
    while any(w.poll() is None for w in writers):
        sealed_while_writing += seal_pending()
        time.sleep(0.02)
    outputs = [w.communicate() for w in writers]
    assert all(w.returncode == 0 for w in writers), [err for _, err in outputs]
    committed = sum(int(out.strip()) for out, _ in outputs)
    seal_all()

    assert AuditEvent.objects.filter(action="test.concurrent").count() == committed, outputs
    seqs = list(AuditSeal.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))  # gap-free
    assert len(seqs) == AuditEvent.objects.count(), "events left unsealed (horizon held back?)"
    result = verify_log()
    assert result.ok, result.problems
    assert result.events_checked == AuditEvent.objects.count()
    if sealed_while_writing == 0:  # only when another database's long transaction held the horizon back
        warnings.warn("the sealer could not seal while the writers ran (horizon held back)", stacklevel=1)
