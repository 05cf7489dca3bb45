"""Reads for the offboarding pages: bounded, joins done up front."""

from __future__ import annotations

from django.db.models import Count, Q

from staff.models import EmploymentStatus, StaffMember

from .models import ChecklistItem, ExternalRecertification, OffboardingCase

PENDING = [ChecklistItem.Status.OPEN, ChecklistItem.Status.HELD]


def cases_list(*, organization, state: str = "open"):
    qs = (OffboardingCase.objects.filter(organization=organization).select_related("staff_member")
          .annotate(items_total=Count("items"), items_pending=Count("items", filter=Q(items__status__in=PENDING))))
    if state == "open":
        qs = qs.filter(completed_at__isnull=True)
    elif state == "done":
        qs = qs.filter(completed_at__isnull=False)
    return qs.order_by("completed_at", "due_at", "pk") if state == "open" else qs.order_by("-recorded_at", "-pk")


def case_for_staff(staff: StaffMember) -> OffboardingCase | None:
    return OffboardingCase.objects.filter(staff_member=staff).order_by("-recorded_at", "-pk").first()


def case_items(case: OffboardingCase):
    return (case.items.select_related("enrollment__portal", "portal_account", "credential", "task__assignee",
                                      "task__completed_by")
            .order_by("sort", "enrollment__portal__name", "pk"))


def successor_candidates(organization, exclude_pk):
    return (StaffMember.objects.filter(organization=organization, employment_status=EmploymentStatus.ACTIVE)
            .exclude(pk=exclude_pk).order_by("full_name", "pk"))


def recertifications(organization):
    return (ExternalRecertification.objects.filter(organization=organization)
            .select_related("enrollment__portal", "portal_account__staff_member").order_by("due_on", "pk"))


def open_case_count(organization) -> int:
    return OffboardingCase.objects.filter(organization=organization, completed_at__isnull=True).count()
