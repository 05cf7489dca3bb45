"""The daily hygiene run's part (hygiene.services.register_hygiene_check): bring leavers' checklists,
movers and held deactivations up to date, send the day's reminders and escalate overdue offboarding.
(The findings check registered by findings.checks, which runs just before, terminates people whose end
date passed and re-evaluates the findings, including offboarding's rules.)"""

from hygiene.services import register_hygiene_check


@register_hygiene_check("offboarding")
def offboarding_check(organization, now) -> dict:
    from .jobs import escalate_overdue, reminders_send
    from .sync import organization_sync

    counts = organization_sync(organization=organization, now=now)
    counts.update(escalate_overdue(organization=organization, now=now))
    counts.update(reminders_send(organization=organization, now=now))
    return counts
