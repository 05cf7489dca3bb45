import datetime

import pytest
from django.apps import apps

from carriers.models import Carrier, Contract, Portal, PortalEnrollment
from carriers.services import load_reference_directory


@pytest.fixture
def directory(db):
    """The shipped reference directory, loaded once per test."""
    load_reference_directory()


@pytest.fixture(scope="module")
def _module_directory(django_db_setup, django_db_blocker):
    from tests.conftest import module_transaction

    with module_transaction(django_db_blocker):
        load_reference_directory()
        yield


@pytest.fixture
def module_directory(request, _module_directory, db):
    """The shipped reference directory loaded once for the module (its every test uses it; ~0.5 s a test
    saved), each test in its own savepoint as always. A module opts in with `directory = module_directory`."""
    from tests.conftest import refuse_transactional

    refuse_transactional(request)


def carrier(key):
    return Carrier.objects.get(reference_key=key, organization__isnull=True)


def portal(key):
    return Portal.objects.get(reference_key=key, organization__isnull=True)


def contract(org, key, lob="commercial", start=datetime.date(2024, 1, 1), **kw):
    return Contract.objects.create(organization=org, carrier=carrier(key), line_of_business=lob, effective_date=start, **kw)


def enroll(org, key, status="registered", **kw):
    kw.setdefault("registered_on", datetime.date(2024, 2, 1) if status == "registered" else None)
    return PortalEnrollment.objects.create(organization=org, portal=portal(key), tin=org.tin, status=status, **kw)


def staff_available() -> bool:
    try:
        apps.get_model("staff", "EnrollmentAdministrator")
        return True
    except LookupError:
        return False


def add_admin(enrollment, name, role="primary", status="active"):
    StaffMember = apps.get_model("staff", "StaffMember")
    EnrollmentAdministrator = apps.get_model("staff", "EnrollmentAdministrator")
    person = StaffMember.objects.create(
        organization=enrollment.organization, full_name=name, job_role="billing_manager",
        work_email=f"{name.lower().replace(' ', '.')}@practice.example", employment_status=status,
    )
    return EnrollmentAdministrator.objects.create(enrollment=enrollment, staff_member=person, role=role)
