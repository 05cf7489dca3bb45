"""Periodic audit jobs (thin: each calls a service)."""

from celery import shared_task

from core.tasks import AuditedTask


@shared_task(base=AuditedTask, name="audits.tasks.seal_events", bind=True)
def seal_events(self):
    """Every minute: chain the events that are safe to seal (see audits/chain.py)."""
    from .chain import seal_pending

    return {"sealed": seal_pending()}


@shared_task(base=AuditedTask, name="audits.tasks.make_checkpoint", bind=True)
def make_checkpoint(self):
    """Every 15 minutes: seal, then sign the chain head; also keeps next months' partitions ready."""
    from .partitions import ensure_partitions
    from .services import seal_and_checkpoint

    ensure_partitions()
    cp = seal_and_checkpoint(reason="scheduled")
    return {"tree_size": cp.tree_size}


@shared_task(base=AuditedTask, name="audits.tasks.daily_verify", bind=True)
def daily_verify(self):
    """Daily: verify the whole log; a failure becomes a critical finding."""
    from .services import run_daily_verification

    verification, result = run_daily_verification()
    return {"verification_id": verification.pk, "ok": result.ok, "problem": str(result.first or "")}
