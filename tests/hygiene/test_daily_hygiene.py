import pytest
from django_celery_beat.models import PeriodicTask

from audits.models import AuditEvent
from hygiene.models import JobRun
from hygiene.schedules import ensure_default_schedules
from hygiene.services import HYGIENE_CHECKS, register_hygiene_check, run_daily_hygiene


def test_the_daily_hygiene_run_is_scheduled_and_an_edit_survives_another_migrate(db):
    task = PeriodicTask.objects.get(name="Daily hygiene run")
    assert task.task == "hygiene.tasks.daily_hygiene" and task.enabled
    task.enabled = False
    task.save()
    ensure_default_schedules()
    assert PeriodicTask.objects.get(name="Daily hygiene run").enabled is False
    assert PeriodicTask.objects.filter(name="Daily hygiene run").count() == 1


def test_a_failing_check_is_recorded_and_does_not_stop_other_organizations(world):
    seen = []

    @register_hygiene_check("test_probe")
    def probe(org, now):
        seen.append(org.slug)
        if org.slug == "cascade":
            raise RuntimeError("boom")
        return {"checked": 1}

    try:
        run = run_daily_hygiene()
    finally:
        HYGIENE_CHECKS[:] = [(n, f) for n, f in HYGIENE_CHECKS if n != "test_probe"]
    assert sorted(seen) == ["cascade", "other"]
    assert run.status == JobRun.Status.FAILED
    assert run.counts["test_probe.checked"] == 1
    assert run.errors[0]["organization"] == "cascade" and "boom" in run.errors[0]["error"]
    assert AuditEvent.objects.filter(action="job.daily_hygiene.finished", object_id=str(run.pk)).exists()


@pytest.fixture
def redis_worker():
    """A real Celery worker (solo pool, in a thread) consuming from the Redis broker."""
    import os

    from celery.contrib.testing import tasks  # noqa: F401  (registers celery.ping for the worker's check)
    from celery.contrib.testing.worker import start_worker

    from portalgov.celery import app

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    saved = app.conf.broker_url, app.conf.result_backend, app.conf.broker_transport_options
    app.conf.update(broker_url=url, result_backend=url, broker_transport_options={})
    _drop_cached_connections(app)  # an earlier test may have built them for the embedded broker
    try:
        with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=20):
            yield app
    finally:
        app.conf.update(broker_url=saved[0], result_backend=saved[1], broker_transport_options=saved[2])
        _drop_cached_connections(app)


def _drop_cached_connections(app):
    """Celery caches the result backend and the producer pool per app; rebuild them from the current conf."""
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_periodic_task_runs_through_a_real_celery_worker_on_redis(world, redis_worker):
    from hygiene.tasks import daily_hygiene

    outcome = daily_hygiene.delay().get(timeout=30)
    run = JobRun.objects.get(pk=outcome["job_run_id"])
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counts["organizations"] == 2
    # No person started it: the scheduled job acts under its own name in the audit trail.
    assert run.actor_label == "job:hygiene.tasks.daily_hygiene"
    event = AuditEvent.objects.get(action="job.daily_hygiene.finished")
    assert event.actor_type == "job" and event.actor_label == "job:hygiene.tasks.daily_hygiene"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_on_behalf_of_a_person_carries_that_person(world, redis_worker):
    from hygiene.tasks import daily_hygiene

    outcome = daily_hygiene.apply_async(kwargs={"actor_user_id": world.alice.pk}).get(timeout=30)
    assert JobRun.objects.get(pk=outcome["job_run_id"]).actor_label == world.alice.email
