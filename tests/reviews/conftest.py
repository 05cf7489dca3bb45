import datetime
from dataclasses import dataclass

import pytest
import time_machine

from staff.models import JobRole

from .factories import make_account, make_enrollment, make_staff

LAUNCH = datetime.datetime(2026, 10, 1, 9, 0, tzinfo=datetime.UTC)


@dataclass
class ReviewWorld:
    w: object
    admin_staff: object  # alice's roster entry: portal administrator
    bob_staff: object  # bob's roster entry (billing manager): holds an account himself
    frank: object  # front desk, reports to bob
    gina: object  # front desk, no manager
    enrollment: object
    frank_acct: object
    gina_acct: object
    bob_acct: object


@pytest.fixture
def rw(world):
    org = world.org
    admin_staff = make_staff(org, "Alice Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    bob_staff = make_staff(org, "Bob Billing", job_role=JobRole.BILLING_MANAGER, user=world.bob)
    frank = make_staff(org, "Frank Front", manager=bob_staff)
    gina = make_staff(org, "Gina Front")
    enrollment = make_enrollment(org, "Availity Essentials", admin=admin_staff)
    return ReviewWorld(
        w=world, admin_staff=admin_staff, bob_staff=bob_staff, frank=frank, gina=gina, enrollment=enrollment,
        frank_acct=make_account(frank, enrollment),
        gina_acct=make_account(gina, enrollment),
        bob_acct=make_account(bob_staff, enrollment, ("eligibility_benefits", "remittance_era")),
    )


@pytest.fixture
def at_launch():
    with time_machine.travel(LAUNCH, tick=False) as traveller:
        yield traveller
