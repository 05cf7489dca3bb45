"""The scheduled parts: reminders to portal administrators (password expiry, lock-out, external
re-certification) and escalation of overdue offboarding work. Each is idempotent through the Notice
rows (one per organization, kind, key, recipient), so a rerun or a run after a crash sends nothing twice."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from audits.services import record_event

from . import notify
from .models import ChecklistItem, OffboardingCase
from .rules import hygiene_facts
from .services import settings_for

FACT_LINES = {
    "lockout": lambda f: (f"{f.person} ({f.portal_user_id}) on {f.portal}: locked out after {f.window} days without "
                          f"login, on {f.on:%Y-%m-%d} ({_days(f.days_left)})"),
    "password": lambda f: f"{f.person} ({f.portal_user_id}) on {f.portal}: password expires {f.on:%Y-%m-%d} "
                          f"({_days(f.days_left)})",
    "recert": lambda f: f"{f.portal}: external re-certification of {f.person} due {f.on:%Y-%m-%d} "
                        f"({_days(f.days_left)})",
}


def _days(n: int) -> str:
    return "today" if n == 0 else (f"in {n} day(s)" if n > 0 else f"{-n} day(s) ago")


@transaction.atomic
def reminders_send(*, organization, now=None) -> dict:
    """One digest e-mail per portal administrator per day, listing the accounts of their portals that
    reach a reminder day today (the organization's reminder days, e.g. 14, 7, 3, 1 and 0 days before)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _, days = settings_for(organization)
    facts = [f for f in hygiene_facts(organization, today, warn_days=max(days))
             if f.kind in FACT_LINES and f.days_left in days]
    if not facts:
        return {"reminders_sent": 0, "reminder_facts": 0}
    admins = notify.portal_administrator_emails({f.enrollment_id for f in facts})
    fallback = notify.practice_administrator_emails(organization)
    lines: dict[str, list[str]] = defaultdict(list)
    for f in sorted(facts, key=lambda f: (f.days_left, f.portal, f.person)):
        for recipient in admins.get(f.enrollment_id) or fallback:
            lines[recipient].append("- " + FACT_LINES[f.kind](f))
    messages = []
    findings_url = notify.site_url(f"/o/{organization.slug}/findings/")
    for recipient, body_lines in sorted(lines.items()):
        subject = f"Portal accounts needing attention ({len(body_lines)}) - {organization.legal_name}"
        body = "\n".join(["These portal accounts you administer need attention:", "", *body_lines, "",
                          "Findings: " + findings_url])
        messages.append((f"digest:{today.isoformat()}", recipient, subject, body))
    # The first run sends ~20 digests a practice: one read and one INSERT, not a savepoint and an INSERT each.
    sent = len(notify.notify_many(organization=organization, kind="reminder", messages=messages))
    if sent:
        record_event("offboarding.reminders_sent", organization=organization, object_type="offboarding.notice",
                     object_label="reminders", changes={"recipients": [None, sent], "accounts": [None, len(facts)]})
    return {"reminders_sent": sent, "reminder_facts": len(facts)}


@transaction.atomic
def escalate_overdue(*, organization, now=None) -> dict:
    """Offboarding past its deadline: e-mail the practice's PortalGov administrators and the portals'
    administrators once per case, and mark the case escalated (the overdue finding is raised by the
    findings rules)."""
    now = now or timezone.now()
    overdue = (ChecklistItem.objects.filter(organization=organization, case__completed_at__isnull=True,
                                            status=ChecklistItem.Status.OPEN, due_at__lt=now)
               .exclude(kind=ChecklistItem.Kind.SUCCESSOR)
               .select_related("case__staff_member", "enrollment__portal").order_by("case_id", "sort", "pk"))
    by_case: dict[int, list[ChecklistItem]] = defaultdict(list)
    for item in overdue:
        by_case[item.case_id].append(item)
    escalated = emails = 0
    fallback = notify.practice_administrator_emails(organization)
    for case_id, items in by_case.items():
        case = OffboardingCase.objects.select_for_update().get(pk=case_id)
        staff = items[0].case.staff_member
        recipients = set(fallback)
        for emails_of in notify.portal_administrator_emails({i.enrollment_id for i in items},
                                                            exclude_staff_ids=[staff.pk]).values():
            recipients.update(emails_of)
        due = timezone.localtime(case.due_at)
        lines = [f"- {i.get_kind_display()}: {i.enrollment.portal.name if i.enrollment else 'credential'}"
                 for i in items]
        subject = f"OVERDUE: {staff.full_name}'s portal access was due to end at {due:%H:%M %Z} on {due:%Y-%m-%d}"
        body = "\n".join([f"{staff.full_name}'s offboarding is past its deadline. Still open:", "", *lines, "",
                          notify.case_url(case)])
        emails += len(notify.notify_many(organization=organization, kind="escalation", messages=[
            (f"case:{case.pk}", recipient, subject, body) for recipient in sorted(recipients)]))
        if case.escalated_at is None:
            case.escalated_at = now
            case.save(update_fields=["escalated_at"])
            record_event("offboarding.escalated", organization=organization, target=case, severity="warning",
                         changes={"open_items": [None, len(items)], "recipients": [None, sorted(recipients)]})
            escalated += 1
    if escalated:  # a deadline ran out: the leavers' open accounts become findings now, not at the daily run
        from findings.services import findings_evaluate_organization

        findings_evaluate_organization(organization=organization)
    return {"escalated": escalated, "escalation_emails": emails}
