"""Invariant 10 on a synthetic billing company (leavers, people on leave, movers, end dates that passed,
shared IDs, inactive accounts): the daily job run twice changes nothing the second time, and a run that
crashed halfway, then run again, ends where an uninterrupted run ends."""

import datetime

import pytest
from django.db.models import Count
from django.utils import timezone

from core.synthetic import Sizes, generate

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 11, 3, 6, 0))


def _state(prefix):
    from access.models import ProvisioningTask
    from findings.models import Finding
    from offboarding.models import ChecklistItem, OffboardingCase
    from staff.models import StaffMember

    scope = {"organization__slug__startswith": f"{prefix}-"}
    return {
        "open findings": dict(Finding.objects.filter(resolved_at__isnull=True, **scope)
                              .values_list("rule").annotate(n=Count("pk")).order_by("rule")),
        "cases": OffboardingCase.objects.filter(**scope).count(),
        "checklist items": dict(ChecklistItem.objects.filter(**scope).values_list("status")
                                .annotate(n=Count("pk")).order_by("status")),
        "tasks": dict(ProvisioningTask.objects.filter(**scope).values_list("kind")
                      .annotate(n=Count("pk")).order_by("kind")),
        "terminated": StaffMember.objects.filter(employment_status="terminated", **scope).count(),
    }


def test_the_daily_job_twice_or_after_a_crash_ends_in_the_same_state(monkeypatch):
    import offboarding.checks
    from accounts.models import Organization
    from hygiene import services as hygiene

    for prefix in ("calm", "crash"):  # the same seed: the same company twice
        generate(Sizes(orgs=2, staff=150, portals=3, events=0, seed=11, prefix=prefix, as_of=NOW.date()),
                 log=lambda *_: None)
    calm = list(Organization.objects.filter(slug__startswith="calm-").order_by("pk"))
    crash = list(Organization.objects.filter(slug__startswith="crash-").order_by("pk"))

    hygiene.run_recorded_job("daily_hygiene", list(hygiene.HYGIENE_CHECKS), now=NOW, organizations=calm)
    first = _state("calm")
    assert first["open findings"] and first["cases"] and first["terminated"]
    hygiene.run_recorded_job("daily_hygiene", list(hygiene.HYGIENE_CHECKS), now=NOW, organizations=calm)
    assert _state("calm") == first  # twice: nothing changes

    # The crash: the offboarding step of the second practice dies (its transaction rolls back).
    real = offboarding.checks.offboarding_check
    steps = [(n, f) for n, f in hygiene.HYGIENE_CHECKS]

    def dying(org, now):
        if org.pk == crash[1].pk:
            raise RuntimeError("worker killed")
        return real(org, now)

    crashed = hygiene.run_recorded_job("daily_hygiene", [(n, dying if n == "offboarding" else f) for n, f in steps],
                                       now=NOW, organizations=crash)
    assert crashed.errors
    hygiene.run_recorded_job("daily_hygiene", steps, now=NOW, organizations=crash)
    assert _state("crash") == _state("calm")
    hygiene.run_recorded_job("daily_hygiene", steps, now=NOW, organizations=crash)
    assert _state("crash") == _state("calm")
