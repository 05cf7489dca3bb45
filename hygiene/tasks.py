from celery import shared_task

from core.tasks import AuditedTask

from .services import run_daily_hygiene


@shared_task(base=AuditedTask, name="hygiene.tasks.daily_hygiene", bind=True, max_retries=3)
def daily_hygiene(self):
    """The daily hygiene run (scheduled by django-celery-beat)."""
    run = run_daily_hygiene()
    return {"job_run_id": run.pk, "status": run.status, "counts": run.counts}
