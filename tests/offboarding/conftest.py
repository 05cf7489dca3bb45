import datetime

import pytest
import time_machine
from django.utils import timezone

from carriers.models import PortalAccountRule
from staff.models import JobRole

from ..staff.factories import make_enrollment, make_portal, make_staff

NOW = datetime.datetime(2026, 11, 27, 15, 0, tzinfo=datetime.UTC)  # 10:00 in New York


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def practice(world, clock):
    """Maria (practice manager) administers Availity and myCGS; Tom (front desk) holds accounts on both;
    Paula (billing) holds one on myCGS; Ken (practice manager) could succeed Maria."""
    from access.services import portal_account_create

    maria = make_staff(world.org, "Maria Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice,
                       work_email="maria@cascade.example")
    ken = make_staff(world.org, "Ken Next", job_role=JobRole.PRACTICE_MANAGER, work_email="ken@cascade.example")
    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    paula = make_staff(world.org, "Paula Pay", job_role=JobRole.BILLING_SPECIALIST)
    availity = make_enrollment(world.org, make_portal("Availity Essentials"), admin=maria)
    mycgs = make_enrollment(world.org, make_portal("myCGS"), admin=maria)
    accounts = {}
    for who, enr, uid, fns in [(tom, availity, "treed", ["eligibility_benefits"]),
                               (tom, mycgs, "treed-cgs", ["eligibility_benefits", "claim_status"]),
                               (paula, mycgs, "ppay", ["claim_status"]),
                               (maria, mycgs, "madmin", ["portal_user_administration"]),
                               (maria, availity, "madmin-av", ["eligibility_benefits"])]:
        accounts[(who.full_name, enr.portal.name)] = portal_account_create(
            staff_member=who, enrollment=enr, acting_user=world.alice, functions=fns, portal_user_id=uid,
            status="active", mfa_enrolled=True, last_login_attested=timezone.localdate(),
            password_last_changed=timezone.localdate())
    return {"maria": maria, "ken": ken, "tom": tom, "paula": paula, "availity": availity, "mycgs": mycgs,
            "accounts": accounts}


def rule(portal, kind, number=None, value=""):
    return PortalAccountRule.objects.create(portal=portal, kind=kind, number=number, value=value or str(number))
