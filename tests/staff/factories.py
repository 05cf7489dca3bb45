"""Builders for roster, directory and account rows used by the staff, access and findings tests."""

import itertools

from carriers.models import Portal, PortalEnrollment, PortalFunction
from staff.models import EmploymentStatus, EnrollmentAdministrator, JobRole, StaffMember

_seq = itertools.count(1)


def make_staff(org, name=None, *, job_role=JobRole.FRONT_DESK, status=EmploymentStatus.ACTIVE, **kw):
    n = next(_seq)
    name = name or f"Person {n}"
    email = kw.pop("work_email", f"{name.lower().replace(' ', '.')}.{n}@{org.slug}.example")
    return StaffMember.objects.create(organization=org, full_name=name, work_email=email, job_role=job_role,
                                      employment_status=status, **kw)


def make_portal(name=None, functions=None):
    n = next(_seq)
    portal = Portal.objects.create(name=name or f"Portal {n}", architecture=Portal.Architecture.HUB, reference_key=f"test-{n}",
                                   url=f"https://portal{n}.example.com/")
    codes = functions if functions is not None else list(PortalFunction.objects.values_list("code", flat=True))
    portal.functions.set(PortalFunction.objects.filter(code__in=codes))
    return portal


def make_enrollment(org, portal=None, *, admin=None, status=PortalEnrollment.Status.REGISTERED):
    portal = portal or make_portal()
    enrollment = PortalEnrollment.objects.create(organization=org, portal=portal, status=status, tin=org.tin)
    if admin is not None:
        EnrollmentAdministrator.objects.create(enrollment=enrollment, staff_member=admin, role="primary")
    return enrollment
