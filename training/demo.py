"""Demo training for a demo practice (seed_demo calls it): a general portal-security module and one for
the Noridian portal, with completions for most staff, one expired and one missing, so the module page,
the review snapshot and the untrained-holder finding have something to show.

Idempotent: modules are matched by title and a person with any completion of a module gets no other.
"""

import datetime

from django.db.models import Q
from django.utils import timezone

from carriers.models import Portal
from core.context import Actor, acting_as
from staff.models import EmploymentStatus, StaffMember

from .models import Scope, TrainingCompletion, TrainingModule
from .services import completion_record

GENERAL_TITLE = "Portal security essentials"
NORIDIAN_TITLE = "Noridian Medicare Portal (NMP) access and PHI"


def _noridian(organization):
    return (Portal.objects.filter(Q(organization__isnull=True) | Q(organization=organization))
            .filter(Q(reference_key="noridian-nmp") | Q(name__icontains="noridian")).order_by("pk").first())


def seed_demo_training(organization) -> dict:
    today = timezone.localdate()
    created = {"modules": 0, "completions": 0}
    with acting_as(Actor.job("seed_demo")):
        modules = []
        specs = [(GENERAL_TITLE, Scope.GENERAL, None,
                  "Phishing, MFA, never sharing a portal login, locking the screen.")]
        portal = _noridian(organization)
        if portal is not None:
            specs.append((NORIDIAN_TITLE, Scope.PORTAL, portal, "NMP roles, PTAN/NPI use, the minimum necessary rule."))
        for title, scope, on_portal, description in specs:
            module, made = TrainingModule.objects.get_or_create(
                organization=organization, title=title,
                defaults={"scope": scope, "portal": on_portal, "description": description, "renewal_months": 12})
            created["modules"] += int(made)
            modules.append(module)
        people = list(StaffMember.objects.filter(organization=organization, employment_status=EmploymentStatus.ACTIVE)
                      .order_by("full_name", "pk"))
        done = set(TrainingCompletion.objects.filter(organization=organization)
                   .values_list("staff_member_id", "module_id"))
        # The last person has none (missing); the first one's general module lapsed (expired).
        for index, person in enumerate(people[:-1] if len(people) > 1 else people):
            for module in modules:
                if (person.pk, module.pk) in done:
                    continue
                lapsed = index == 0 and module.scope == Scope.GENERAL
                day = today - datetime.timedelta(days=400 if lapsed else 30 + 11 * index)
                completion_record(organization=organization, staff_member=person, module=module, completed_on=day,
                                  acting_user=None, evidence="Demo: LMS certificate")
                created["completions"] += 1
    return created
