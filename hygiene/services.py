"""Running jobs and recording each run. Later issues register their hygiene checks here."""

import logging
import traceback
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from audits.services import record_event
from core.context import current_actor

from .models import JobRun

log = logging.getLogger(__name__)

# A hygiene check takes an organization and the time of the run, and returns counts.
# Each must be idempotent: running it twice, or again after a crash, gives the same result.
HygieneCheck = Callable[[Organization, "timezone.datetime"], dict]
HYGIENE_CHECKS: list[tuple[str, HygieneCheck]] = []


def register_hygiene_check(name: str):
    def decorator(func: HygieneCheck) -> HygieneCheck:
        if name not in {n for n, _ in HYGIENE_CHECKS}:
            HYGIENE_CHECKS.append((name, func))
        return func

    return decorator


def run_daily_hygiene(*, now=None) -> JobRun:
    """Run every registered hygiene check for every organization and record the run.

    One organization failing does not stop the others; its error is kept on the run.
    """
    now = now or timezone.now()
    actor = current_actor()
    run = JobRun.objects.create(job="daily_hygiene", started_at=now, actor_label=actor.label if actor else "system")
    counts: dict = {"organizations": 0}
    errors: list = []
    for org in Organization.objects.order_by("pk").iterator():
        counts["organizations"] += 1
        for name, check in HYGIENE_CHECKS:
            try:
                with transaction.atomic():
                    result = check(org, now) or {}
                for key, value in result.items():
                    counts[f"{name}.{key}"] = counts.get(f"{name}.{key}", 0) + value
            except Exception as exc:
                log.exception("hygiene check %s failed for %s", name, org.slug)
                errors.append({"organization": org.slug, "check": name, "error": repr(exc),
                               "trace": traceback.format_exc(limit=3)})
    run.finished_at = timezone.now()
    run.status = JobRun.Status.FAILED if errors else JobRun.Status.SUCCEEDED
    run.counts = counts
    run.errors = errors
    run.save(update_fields=["finished_at", "status", "counts", "errors"])
    record_event("job.daily_hygiene.finished", target=run, changes={"counts": counts, "errors": len(errors)})
    return run
