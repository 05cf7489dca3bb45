from celery import shared_task

from core.tasks import AuditedTask


def run_offboarding_sweep(*, now=None):
    """Every 15 minutes: the one-hour target cannot wait for the daily run. Only organizations with an
    open checklist are touched; each run is recorded (JobRun "offboarding_sweep")."""
    from accounts.models import Organization
    from hygiene.services import run_recorded_job

    from .jobs import escalate_overdue
    from .models import OffboardingCase
    from .sync import organization_sync

    orgs = Organization.objects.filter(
        pk__in=OffboardingCase.objects.filter(completed_at__isnull=True).values("organization_id")).order_by("pk")
    return run_recorded_job("offboarding_sweep", [
        ("checklists", lambda org, now: organization_sync(organization=org, now=now)),
        ("escalation", lambda org, now: escalate_overdue(organization=org, now=now)),
    ], now=now, organizations=list(orgs))


@shared_task(base=AuditedTask, name="offboarding.tasks.sweep", bind=True, max_retries=3)
def sweep(self):
    run = run_offboarding_sweep()
    return {"job_run_id": run.pk, "status": run.status, "counts": run.counts}
