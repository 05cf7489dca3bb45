"""Reads for the roster pages: bounded, with the joins done up front."""

from django.db.models import Count, Q

from access.models import LIVE_STATUSES

from .models import StaffMember


def roster_search(*, organization, q: str = "", job_role: str = "", status: str = ""):
    qs = (StaffMember.objects.filter(organization=organization).select_related("manager", "user")
          .annotate(live_accounts=Count("portal_accounts", filter=Q(portal_accounts__status__in=LIVE_STATUSES)),
                    open_findings=Count("findings", filter=Q(findings__resolved_at__isnull=True), distinct=True)))
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(work_email__icontains=q))
    if job_role:
        qs = qs.filter(job_role=job_role)
    if status:
        qs = qs.filter(employment_status=status)
    return qs.order_by("full_name", "pk")


def staff_for_user(*, organization, user) -> StaffMember | None:
    return StaffMember.objects.filter(organization=organization, user=user).first()
