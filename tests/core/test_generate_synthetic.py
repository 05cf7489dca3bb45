"""generate_synthetic: refuses with DEBUG off, is reproducible for a seed, believable, and writes audit events
the sealer seals and verification accepts."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.synthetic import Sizes, generate


@pytest.mark.django_db
def test_refuses_with_debug_off_and_writes_nothing(settings):
    from accounts.models import Organization

    settings.DEBUG = False
    settings.PORTALGOV_DEMO_COMMANDS_ALLOWED = False  # the test settings allow demo commands; production does not
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("generate_synthetic", orgs=1, staff=5, portals=1, events=0)
    assert not Organization.objects.exists()


def _snapshot(prefix):
    from access.models import PortalAccount
    from staff.models import StaffMember

    people = list(StaffMember.objects.filter(organization__slug__startswith=f"{prefix}-").order_by("pk")
                  .values_list("full_name", "job_role", "employment_status", "end_date", "manager__full_name"))
    accounts = list(PortalAccount.objects.filter(organization__slug__startswith=f"{prefix}-").order_by("pk")
                    .values_list("portal_user_id", "status", "mfa_enrolled", "last_login_attested",
                                 "enrollment__portal__name"))
    return people, accounts


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_practices(settings):
    import datetime

    settings.PORTALGOV_DEMO_COMMANDS_ALLOWED = True
    day = datetime.date(2026, 11, 2)
    call_command("generate_synthetic", orgs=2, staff=30, portals=3, events=50, seed=7, prefix="one",
                 as_of=day, stdout=open("/dev/null", "w"))  # noqa: SIM115
    generate(Sizes(orgs=2, staff=30, portals=3, events=50, seed=7, prefix="two", as_of=day), log=lambda *_: None)
    generate(Sizes(orgs=2, staff=30, portals=3, events=50, seed=8, prefix="three", as_of=day), log=lambda *_: None)
    assert _snapshot("one") == _snapshot("two")
    assert _snapshot("one") != _snapshot("three")
    with pytest.raises(CommandError, match="already"):
        call_command("generate_synthetic", orgs=1, staff=5, portals=1, events=0, prefix="one")


@pytest.mark.django_db
def test_a_believable_billing_company():
    from django.db.models import Count

    from access.models import PortalAccount
    from accounts.models import Membership
    from carriers.models import Contract, PortalEnrollment
    from offboarding.models import RoleWatermark
    from staff.models import EnrollmentAdministrator, StaffMember
    from training.models import TrainingCompletion

    generate(Sizes(orgs=2, staff=300, portals=4, events=100, seed=1), log=lambda *_: None)
    statuses = dict(StaffMember.objects.values_list("employment_status").annotate(n=Count("pk")))
    assert statuses["active"] > 500 and statuses["terminated"] > 5 and statuses["on_leave"] > 0
    assert StaffMember.objects.filter(manager__isnull=False).count() > 500
    assert StaffMember.objects.filter(employment_status="active", end_date__isnull=False).exists()  # not yet caught
    assert RoleWatermark.objects.exclude(job_role=StaffMember.objects.filter(
        pk=__import__("django.db.models", fromlist=["OuterRef"]).OuterRef("staff_member_id")).values("job_role")[:1]
    ).exists()  # movers
    assert PortalAccount.objects.count() == 2 * 300 * 4
    account_statuses = set(PortalAccount.objects.values_list("status", flat=True))
    assert {"active", "suspended", "deactivated", "requested"} <= account_statuses
    assert PortalAccount.objects.filter(mfa_enrolled=False).exists()
    assert PortalAccount.objects.filter(staff_member__employment_status="terminated", status="active").exists()
    assert PortalEnrollment.objects.count() == 8 and EnrollmentAdministrator.objects.count() >= 8
    assert Contract.objects.count() >= 12 and Membership.objects.count() == 8
    assert TrainingCompletion.objects.count() > 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_events_are_sealed_and_verified(settings):
    from audits.chain import seal_pending
    from audits.models import AuditEvent, AuditSeal
    from audits.verify import verify_log

    settings.AUDIT_SIGNING_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    generate(Sizes(orgs=1, staff=10, portals=2, events=400, seed=2, event_months=3), log=lambda *_: None)
    events = AuditEvent.objects.count()
    assert events >= 400
    import time

    deadline = time.monotonic() + 120
    while AuditSeal.objects.count() < events and time.monotonic() < deadline:
        seal_pending()  # only below the cluster-wide horizon: a long transaction elsewhere holds it back
        time.sleep(0.2)
    if AuditSeal.objects.count() == 0:
        pytest.skip("another transaction on this PostgreSQL cluster held the sealing horizon for 2 minutes")
    assert AuditSeal.objects.count() == events
    result = verify_log()
    assert result.ok, [p.message for p in result.problems][:3]
