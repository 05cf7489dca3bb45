"""The two scheduled review jobs, each recorded as a hygiene JobRun (shown on the Jobs page).
One organization failing does not stop the others; the run is marked failed and the task retries
(both jobs are idempotent)."""

from __future__ import annotations

import logging
import traceback

from django.utils import timezone

from core.context import current_actor
from hygiene.models import JobRun

log = logging.getLogger(__name__)


class JobFailed(RuntimeError):
    pass


def run_job(name: str, work) -> JobRun:
    """work(errors) -> counts; it appends {"organization", "error", "trace"} dicts to errors."""
    actor = current_actor()
    run = JobRun.objects.create(job=name, started_at=timezone.now(), actor_label=actor.label if actor else "system")
    errors: list = []
    counts = work(errors)
    run.finished_at = timezone.now()
    run.status = JobRun.Status.FAILED if errors else JobRun.Status.SUCCEEDED
    run.counts = counts
    run.errors = errors
    run.save(update_fields=["finished_at", "status", "counts", "errors"])
    if errors:
        raise JobFailed(f"{name}: {len(errors)} organization(s) failed; see job run {run.pk}")
    return run


def record_error(errors: list, organization, exc: Exception) -> None:
    log.exception("review job failed for %s", getattr(organization, "slug", organization))
    errors.append({"organization": getattr(organization, "slug", str(organization)), "error": repr(exc),
                   "trace": traceback.format_exc(limit=3)})
