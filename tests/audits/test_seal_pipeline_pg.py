"""The sealer reads the events of a batch chunk by chunk on a second connection while it hashes and writes the
chunk before (audits.chain._seal_pg): the seals come out in (txid, id) order, gap-free, and verify; a failure
of the reader rolls the whole batch back."""

import threading

import pytest
from django.db import connection

from audits import chain
from audits.models import AuditEvent, AuditSeal
from audits.verify import verify_log

from .conftest import make_events

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(chain, "PIPELINE_CHUNK", 2)
    readers = []
    reader = chain._ChunkReader

    def counted(*args, **kwargs):
        readers.append(reader(*args, **kwargs))
        return readers[-1]

    monkeypatch.setattr(chain, "_ChunkReader", counted)
    return readers


def test_chunked_sealing_keeps_the_commit_order_and_verifies(world, small_chunks):
    make_events(world.org, 9)
    total = AuditEvent.objects.count()
    sealed = 0
    for _ in range(200):  # the horizon is cluster-wide: wait out a transaction elsewhere
        sealed += chain.seal_pending(batch_size=1000)
        if sealed == total:
            break
    assert sealed == total
    assert small_chunks, "the batch was read by the chunk reader"
    seals = list(AuditSeal.objects.order_by("seq").values_list("seq", "txid", "event_id", "sealed_at"))
    assert [s[0] for s in seals] == list(range(1, total + 1))
    keys = [(s[1], s[2]) for s in seals]
    assert keys == sorted(keys) and len(set(keys)) == total
    assert all(s[3] is not None for s in seals)  # the database's default
    result = verify_log(workers=1)
    assert result.ok, result.problems
    assert result.events_checked == total


def test_chunked_sealing_continues_where_the_last_batch_stopped(world, small_chunks):
    make_events(world.org, 5)
    while chain.seal_pending(batch_size=3, max_rows=3) == 0:
        pass
    make_events(world.org, 6, start=5)
    total = AuditEvent.objects.count()
    for _ in range(200):
        chain.seal_pending(batch_size=5)
        if AuditSeal.objects.count() == total:
            break
    assert AuditSeal.objects.count() == total
    assert verify_log(workers=1, pg_batch=4).ok


def test_a_failing_reader_rolls_the_batch_back(world, small_chunks, monkeypatch):
    make_events(world.org, 8)
    copy = chain.pg_copy_to_bytes

    def failing(cur, select, params):
        if threading.current_thread().name == "audit-seal-reader":
            raise RuntimeError("reader lost its connection")
        return copy(cur, select, params)

    monkeypatch.setattr(chain, "pg_copy_to_bytes", failing)
    with pytest.raises(RuntimeError, match="reader lost"):
        for _ in range(200):
            chain.seal_pending()
    assert AuditSeal.objects.count() == 0
    assert not connection.in_atomic_block
