"""Builders for the reviews tests: a small roster with portal accounts, reviewers and a campaign."""

import datetime
import itertools
from types import SimpleNamespace

from access.models import AccountStatus, PortalAccount
from carriers.models import Portal, PortalEnrollment, PortalFunction
from staff.models import EmploymentStatus, EnrollmentAdministrator, JobRole, StaffMember

_seq = itertools.count(1)


def make_staff(org, name=None, *, job_role=JobRole.FRONT_DESK, status=EmploymentStatus.ACTIVE, **kw):
    n = next(_seq)
    name = name or f"Person {n}"
    return StaffMember.objects.create(organization=org, full_name=name, work_email=f"p{n}@{org.slug}.example",
                                      job_role=job_role, employment_status=status, **kw)


def make_enrollment(org, name=None, *, admin=None):
    n = next(_seq)
    portal = Portal.objects.create(name=name or f"Portal {n}", architecture=Portal.Architecture.HUB,
                                   url=f"https://portal{n}.example.com/")
    portal.functions.set(PortalFunction.objects.all())
    enrollment = PortalEnrollment.objects.create(organization=org, portal=portal,
                                                 status=PortalEnrollment.Status.REGISTERED, tin=org.tin)
    if admin is not None:
        EnrollmentAdministrator.objects.create(enrollment=enrollment, staff_member=admin, role="primary")
    return enrollment


def make_account(staff, enrollment, functions=("eligibility_benefits", "claim_status"), *,
                 status=AccountStatus.ACTIVE, last_login=None, mfa=True):
    n = next(_seq)
    account = PortalAccount.objects.create(
        organization=staff.organization, staff_member=staff, enrollment=enrollment, portal_user_id=f"user{n}",
        status=status, mfa_enrolled=mfa, last_login_attested=last_login or datetime.date(2026, 11, 1))
    account.functions.set(PortalFunction.objects.filter(code__in=functions))
    return account


def front_desk_team(world, *names):
    """Alice administers Availity; Bob, the billing manager, manages the front-desk people named here, each
    with an Availity account (the browser journeys' practice). Returns .admin_staff, .bob_staff, .enrollment
    and .accounts (name -> portal account)."""
    org = world.org
    admin_staff = make_staff(org, "Alice Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    bob_staff = make_staff(org, "Bob Billing", job_role=JobRole.BILLING_MANAGER, user=world.bob)
    enrollment = make_enrollment(org, "Availity Essentials", admin=admin_staff)
    accounts = {name: make_account(make_staff(org, name, manager=bob_staff), enrollment) for name in names}
    return SimpleNamespace(admin_staff=admin_staff, bob_staff=bob_staff, enrollment=enrollment, accounts=accounts)
