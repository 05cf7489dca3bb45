"""The default schedule of PortalGov's periodic jobs, created once; administrators change it after."""

DEFAULT_SCHEDULES = [
    # (name shown to people, task, crontab minute, hour, day_of_month, month_of_year, day_of_week)
    ("Daily hygiene run", "hygiene.tasks.daily_hygiene", "0", "6", "*", "*", "*"),
    # Offboarding: leavers' one-hour deadline cannot wait for the daily run (checklists, escalation).
    ("Offboarding sweep", "offboarding.tasks.sweep", "*/15", "*", "*", "*", "*"),
    # Audit log: seal every minute, sign a checkpoint every 15 minutes, verify everything daily.
    ("Audit log sealer", "audits.tasks.seal_events", "*", "*", "*", "*", "*"),
    ("Audit log checkpoint", "audits.tasks.make_checkpoint", "*/15", "*", "*", "*", "*"),
    ("Audit log daily verification", "audits.tasks.daily_verify", "30", "4", "*", "*", "*"),
    # Refused requests: the total of each finished burst window becomes one audit event.
    ("Refused-request burst totals", "security.tasks.flush_refusal_bursts", "*/5", "*", "*", "*", "*"),
    # Access reviews: launched in the first week of each organization's period (quarterly by default).
    ("Access review launch", "reviews.tasks.launch_due_campaigns", "0", "5", "1-7", "*", "*"),
    ("Access review reminders and escalation", "reviews.tasks.remind_and_escalate", "0", "7", "*", "*", "*"),
]


def ensure_default_schedules(sender=None, **kwargs):
    """Create any missing default schedule; never overwrite one that exists (it may have been edited)."""
    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for name, task, minute, hour, dom, moy, dow in DEFAULT_SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_month=dom, month_of_year=moy, day_of_week=dow,
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=crontab, enabled=True)
