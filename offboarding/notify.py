"""E-mails to portal administrators and practice administrators. Every notice is recorded
(offboarding.Notice, unique per organization, kind, key and recipient) before it is sent on commit,
so a job run twice, or rerun after a crash, never sends the same notice twice."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Membership, Role
from staff.models import EmploymentStatus, EnrollmentAdministrator

from .models import Notice


def site_url(path: str) -> str:
    return (getattr(settings, "SITE_URL", "") or "").rstrip("/") + path


def portal_administrator_emails(enrollment_ids, *, exclude_staff_ids=()) -> dict[int, list[str]]:
    """enrollment id -> e-mails of its active portal administrators (their login e-mail if they have one)."""
    rows = (EnrollmentAdministrator.objects
            .filter(enrollment_id__in=list(enrollment_ids), staff_member__employment_status=EmploymentStatus.ACTIVE)
            .exclude(staff_member_id__in=list(exclude_staff_ids))
            .values_list("enrollment_id", "staff_member__work_email", "staff_member__user__email")
            .order_by("enrollment_id", "role", "pk"))
    result: dict[int, list[str]] = {}
    for enrollment_id, work_email, login_email in rows:
        email = (login_email or work_email or "").lower()
        if email and email not in result.setdefault(enrollment_id, []):
            result[enrollment_id].append(email)
    return result


def practice_administrator_emails(organization) -> list[str]:
    return sorted({e.lower() for e in Membership.objects.filter(
        organization=organization, role=Role.ADMINISTRATOR, user__is_active=True).values_list("user__email", flat=True)})


def notify(*, organization, kind: str, key: str, recipient: str, subject: str, body: str) -> bool:
    """Record and send one notice; False if it was already sent (idempotent)."""
    try:
        with transaction.atomic():
            Notice.objects.create(organization=organization, kind=kind, key=key[:120], recipient=recipient,
                                  subject=subject[:300])
    except IntegrityError:
        return False
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient], fail_silently=False))
    return True


def notify_many(*, organization, kind: str, messages) -> list[tuple[str, str]]:
    """Record and send several notices of one kind with a constant number of statements: what notify()
    does for each (key, recipient, subject, body) in turn, same rows, same e-mails. Returns the (key,
    recipient) pairs recorded now, in the order given; those already sent are skipped (idempotent).

    One read of the notices already recorded, one INSERT of the new ones in one savepoint. A concurrent
    run recording one of them in between makes that INSERT fail: then each goes through notify() (whose
    own savepoint refuses the duplicate), as before."""
    wanted: dict[tuple[str, str], tuple[str, str]] = {}
    for key, recipient, subject, body in messages:
        wanted.setdefault((key[:120], recipient), (subject, body))
    if not wanted:
        return []
    keys = sorted({k for k, _ in wanted})
    done = set(Notice.objects.filter(organization=organization, kind=kind, key__in=keys)
               .values_list("key", "recipient"))
    new = [(k, r) for k, r in wanted if (k, r) not in done]
    if not new:
        return []
    try:
        with transaction.atomic():
            Notice.objects.bulk_create([Notice(organization=organization, kind=kind, key=k, recipient=r,
                                               subject=wanted[(k, r)][0][:300]) for k, r in new])
    except IntegrityError:
        return [(k, r) for k, r in new if notify(organization=organization, kind=kind, key=k, recipient=r,
                                                 subject=wanted[(k, r)][0], body=wanted[(k, r)][1])]
    for k, r in new:
        subject, body = wanted[(k, r)]
        transaction.on_commit(lambda s=subject, b=body, r=r: send_mail(s, b, None, [r], fail_silently=False))
    return new


def case_url(case) -> str:
    return site_url(reverse("offboarding_case", args=[case.organization.slug, case.pk]))
