from celery import shared_task

from core.tasks import AuditedTask


@shared_task(base=AuditedTask, name="security.tasks.flush_refusal_bursts", bind=True)
def flush_refusal_bursts(self):
    """Every 5 minutes: write the total of each finished window of refused requests (one event each)."""
    from .access_audit import flush_refusal_bursts as flush

    return {"burst_events": flush()}
