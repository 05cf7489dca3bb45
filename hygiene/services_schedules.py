"""Changing a periodic job's schedule (deployment-wide, so platform operators only)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from audits.services import record_event


def crontab_text(task: PeriodicTask) -> str:
    c = task.crontab
    if c is None:
        return str(task.interval or task.clocked or task.solar or "")
    return f"{c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"


@transaction.atomic
def schedule_update(*, task: PeriodicTask, crontab: str, enabled: bool, acting_user) -> PeriodicTask:
    if not acting_user.is_staff:
        raise PermissionDenied("Schedules apply to every organization; only platform operators change them.")
    before = {"crontab": crontab_text(task), "enabled": task.enabled}
    minute, hour, dom, moy, dow = crontab.split(" ")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute=minute, hour=hour, day_of_month=dom, month_of_year=moy, day_of_week=dow, timezone=settings.TIME_ZONE
    )
    task.crontab = schedule
    task.enabled = enabled
    task.save()  # django-celery-beat bumps its change marker so beat picks this up
    after = {"crontab": crontab, "enabled": enabled}
    record_event(
        "schedule.updated", actor=acting_user, target=task,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return task
