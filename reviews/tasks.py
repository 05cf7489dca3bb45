from celery import shared_task

from core.tasks import AuditedTask

from .jobs import run_job
from .launch import launch_due_campaigns
from .reminders import remind_and_escalate_all


@shared_task(base=AuditedTask, name="reviews.tasks.launch_due_campaigns", bind=True, max_retries=3)
def launch_due(self):
    """Launch each organization's campaign in the first week of its period; finish any launch left
    halfway. Idempotent, so a retry after a failure is safe."""
    run = run_job("reviews_launch", lambda errors: launch_due_campaigns(errors=errors))
    return {"job_run_id": run.pk, "counts": run.counts}


@shared_task(base=AuditedTask, name="reviews.tasks.remind_and_escalate", bind=True, max_retries=3)
def remind_and_escalate(self):
    """Daily: reminders to reviewers, escalation and the deadline rule, the overdue-review finding."""
    run = run_job("reviews_remind_and_escalate", lambda errors: remind_and_escalate_all(errors=errors))
    return {"job_run_id": run.pk, "counts": run.counts}
