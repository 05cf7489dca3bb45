import datetime
from dataclasses import dataclass

import pytest
import time_machine

from staff.models import JobRole
from tests.reviews.factories import make_account, make_enrollment, make_staff
from training.models import Scope, TrainingModule

TODAY = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.UTC)


@dataclass
class TrainingWorld:
    w: object
    dave_staff: object  # dave (staff role) on the roster, holds an account
    gina: object  # no PortalGov login, holds an account
    enrollment: object
    dave_acct: object
    gina_acct: object
    general: object  # general portal security module
    portal_module: object  # required for the enrollment's portal


@pytest.fixture
def now():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tw(world, now):
    org = world.org
    dave_staff = make_staff(org, "Dave Staff", job_role=JobRole.FRONT_DESK, user=world.dave)
    gina = make_staff(org, "Gina Front")
    enrollment = make_enrollment(org, "Noridian Medicare Portal")
    general = TrainingModule.objects.create(organization=org, title="Portal security", scope=Scope.GENERAL)
    portal_module = TrainingModule.objects.create(organization=org, title="Noridian portal basics",
                                                  scope=Scope.PORTAL, portal=enrollment.portal)
    return TrainingWorld(w=world, dave_staff=dave_staff, gina=gina, enrollment=enrollment,
                         dave_acct=make_account(dave_staff, enrollment), gina_acct=make_account(gina, enrollment),
                         general=general, portal_module=portal_module)
