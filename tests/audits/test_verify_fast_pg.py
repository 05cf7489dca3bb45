"""The whole-log verification's fast path (one joined COPY per batch, hashes compared as raw bytes) and its
forked workers over seq spans: an intact log passes without the row-by-row check, and tampering anywhere (in
a worker's span, at the seam between two spans, a fork of the chain now that prev_hash has no unique index)
still falls back to the row-by-row check, which names it."""

import pytest
from django.db import connection, transaction

from audits import chain, verify
from audits.models import AuditEvent, AuditSeal
from audits.services import checkpoint_create
from audits.verify import verify_log

from .conftest import make_events, seal_all, superuser_sql

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Small batches and spans so a dozen events make several of each.
PARALLEL = {"workers": 2, "parallel_min": 1, "pg_batch": 3}


@pytest.fixture
def top(world):
    """Twelve events of ours after the world's own; -> the number of seals (the last seq)."""
    make_events(world.org, 12)
    seal_all()
    return AuditSeal.objects.count()


@pytest.fixture
def spy(monkeypatch):
    """Counts the forked runs and the row-by-row batches (the children's calls are not seen here)."""
    calls = {"forked": 0, "slow": 0}
    run_forked, slow_batch = verify._run_forked, verify._slow_batch

    def forked(*args, **kwargs):
        calls["forked"] += 1
        return run_forked(*args, **kwargs)

    def slow(*args, **kwargs):
        calls["slow"] += 1
        return slow_batch(*args, **kwargs)

    monkeypatch.setattr(verify, "_run_forked", forked)
    monkeypatch.setattr(verify, "_slow_batch", slow)
    return calls


def _seal(seq):
    return AuditSeal.objects.get(seq=seq)


def _event_at(seq):
    return _seal(seq).event_id


def _seam(top):
    """The first seq of the second worker's span."""
    return -(-top // 2) + 1


def test_intact_log_passes_the_fast_path_in_two_workers(top, spy):
    checkpoint_create(reason="test")
    result = verify_log(**PARALLEL)
    assert result.ok, result.problems
    assert (result.seals_checked, result.events_checked, result.tree_size) == (top, top, top)
    assert result.checkpoints_checked == 1
    assert spy == {"forked": 1, "slow": 0}


def test_intact_log_passes_the_fast_path_in_one_process(top, spy):
    result = verify_log(workers=1, pg_batch=5)
    assert result.ok and result.seals_checked == top
    assert spy == {"forked": 0, "slow": 0}


def test_changed_event_in_the_second_workers_span_is_named(top, spy):
    target = _event_at(top - 2)
    superuser_sql("UPDATE audits_auditevent SET message = 'nothing to see' WHERE id = %s", [target])
    result = verify_log(**PARALLEL)
    assert spy["forked"] == 1 and spy["slow"] >= 1
    assert result.first.event_id == target and result.first.kind == "changed"
    assert [p.event_id for p in result.problems] == [target]
    assert result.seals_checked == top


def test_changed_event_in_the_first_workers_span_is_named(top):
    target = _event_at(2)
    superuser_sql("UPDATE audits_auditevent SET action = 'membership.revoked' WHERE id = %s", [target])
    result = verify_log(**PARALLEL)
    assert result.first.event_id == target and result.first.kind == "changed"
    assert [p.event_id for p in result.problems] == [target]


def test_rechained_span_is_caught_at_the_seam(top, spy):
    """A second span that is consistent in itself but does not link to the first: each worker passes its
    own span; linking the spans in the parent catches it."""
    seam = _seam(top)
    forged_prev = b"\x42" * 32
    superuser_sql("UPDATE audits_auditseal SET prev_hash = %s WHERE seq = %s", [forged_prev, seam])
    prev = forged_prev
    for seq in range(seam, top + 1):  # re-chain everything from the seam on, as a careful forger would
        seal = _seal(seq)
        chained = chain.link(prev, bytes(seal.content_hash))
        superuser_sql("UPDATE audits_auditseal SET prev_hash = %s, chain_hash = %s WHERE seq = %s",
                      [prev, chained, seq])
        prev = chained
    result = verify_log(**PARALLEL)
    assert spy["forked"] == 1 and spy["slow"] >= 1
    assert result.first.kind == "broken_link" and result.first.seq == seam


def test_forked_chain_is_caught_without_the_unique_index(top, world):
    """prev_hash has no unique index any more (audits/0008): a second seal claiming seal 3 as its predecessor
    is accepted by the table, and verification names it where it stands."""
    extra = make_events(world.org, 1, start=100)[0]
    parent = _seal(3)
    content = bytes(_seal(4).content_hash)
    superuser_sql(
        "INSERT INTO audits_auditseal (seq, event_id, event_timestamp, txid, content_hash, prev_hash, chain_hash, "
        "sealed_at) SELECT %s, e.id, e.timestamp, e.txid, %s, %s, %s, now() FROM audits_auditevent e WHERE e.id = %s",
        [top + 1, content, bytes(parent.chain_hash), chain.link(bytes(parent.chain_hash), content), extra.pk])
    assert AuditSeal.objects.filter(prev_hash=bytes(parent.chain_hash)).count() == 2
    for kwargs in (PARALLEL, {"workers": 1}):
        result = verify_log(**kwargs)
        assert result.first.kind == "broken_link" and result.first.seq == top + 1, kwargs


def test_fork_in_the_middle_is_caught(top):
    """A seal re-pointed at the predecessor of the seal before it (two seals now share a prev_hash), its
    chain hash made consistent."""
    k = top - 3
    seal = _seal(k)
    fork_from = bytes(_seal(k - 2).chain_hash)
    superuser_sql("UPDATE audits_auditseal SET prev_hash = %s, chain_hash = %s WHERE seq = %s",
                  [fork_from, chain.link(fork_from, bytes(seal.content_hash)), k])
    result = verify_log(**PARALLEL)
    assert result.first.kind == "broken_link" and result.first.seq == k


def test_deleted_seal_in_the_middle_of_a_batch_is_named(top):
    superuser_sql("DELETE FROM audits_auditseal WHERE seq = %s", [top - 4])
    result = verify_log(**PARALLEL)
    assert result.first.kind == "missing" and result.first.seq == top - 4


def test_deleted_seals_at_the_end_of_a_batch_are_named(top):
    superuser_sql("DELETE FROM audits_auditseal WHERE seq IN (5, 6)")  # the end of the batch 4..6
    result = verify_log(workers=1, pg_batch=3)
    assert result.first.kind == "missing" and result.first.seq == 5


def test_altered_seal_timestamp_is_not_taken_for_a_deleted_event(top, spy):
    """The fast path narrows the events it reads by the sealed timestamps; a seal whose timestamp was moved
    past its event's finds its event in the row-by-row check, which does not narrow by time."""
    first = next(s for s in range(top - 10, top) if s % 3 == 1)  # the first of a batch of 3 of our own events
    superuser_sql("UPDATE audits_auditseal SET event_timestamp = event_timestamp + interval '1 day' WHERE seq = %s",
                  [first])
    result = verify_log(workers=1, pg_batch=3)
    assert result.ok, result.problems
    assert result.events_checked == top and spy["slow"] == 1


def test_log_rechained_from_a_changed_event_is_caught_by_its_checkpoint(top, spy):
    """A forger who changes an event and re-computes every hash after it leaves a chain that is consistent in
    itself: only the checkpoint signed before tells. The fast path compares it too, and falls back to name it."""
    checkpoint_create(reason="test")
    start = top - 9
    target = _event_at(start)
    superuser_sql("UPDATE audits_auditevent SET message = 'nothing to see' WHERE id = %s", [target])
    with transaction.atomic(), connection.cursor() as cur:
        chain.pg_canonical_session(cur)
        line = chain.pg_copy_to_bytes(cur, f"SELECT {chain.select_columns()} FROM audits_auditevent e WHERE e.id = %s",  # noqa: S608
                                      [target]).rstrip(b"\n")
    prev = bytes(_seal(start).prev_hash)
    content = chain.pg_line_hash(line)
    for seq in range(start, top + 1):
        seal = _seal(seq)
        content = content if seq == start else bytes(seal.content_hash)
        chained = chain.link(prev, content)
        superuser_sql("UPDATE audits_auditseal SET content_hash = %s, prev_hash = %s, chain_hash = %s WHERE seq = %s",
                      [content, prev, chained, seq])
        prev = chained
    result = verify_log(**PARALLEL)
    assert [p.kind for p in result.problems] == ["checkpoint"]
    assert result.first.seq == top and spy["slow"] >= 1


def test_an_organizations_check_uses_the_row_by_row_path(top, world, spy):
    make_events(world.other_org, 2, start=50)
    seal_all()
    result = verify_log(organization_id=world.org.pk, **PARALLEL)
    ours = AuditEvent.objects.filter(organization_id=world.org.pk).count()
    assert result.ok and result.events_checked == ours and result.seals_checked == top + 2
    assert spy["forked"] == 0 and spy["slow"] >= 1
