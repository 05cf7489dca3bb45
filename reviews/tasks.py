from celery import shared_task

from core.tasks import AuditedTask

from .launch import launch_due_campaigns
from .reminders import remind_and_escalate_all


@shared_task(base=AuditedTask, name="reviews.tasks.launch_due_campaigns", bind=True, max_retries=3)
def launch_due(self):
    """Daily: launch each organization's campaign in the first week of its period; finish any
    launch left halfway. Idempotent."""
    return launch_due_campaigns()


@shared_task(base=AuditedTask, name="reviews.tasks.remind_and_escalate", bind=True, max_retries=3)
def remind_and_escalate(self):
    """Daily: reminders to reviewers, escalation and the deadline rule, the overdue-review finding."""
    return remind_and_escalate_all()
