"""Demo roster, portal administrators and portal accounts for a demo practice (seed_demo calls it).

Idempotent: people are matched by work e-mail and accounts by person and enrollment, so a second
run creates nothing. Deliberately includes one shared credential (imported existing data) and one
function beyond policy, so the findings page has something to show.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from carriers.models import PortalEnrollment
from core.context import Actor, acting_as

from .models import EmploymentStatus, EnrollmentAdministrator, JobRole, StaffMember

# name, job role, demo login e-mail to link (if that login has a role here), manager name
PEOPLE = [
    ("Maria Alvarez", JobRole.PRACTICE_MANAGER, "admin@demo.portalgov.test", None),
    ("Derek Okafor", JobRole.BILLING_MANAGER, "billing@demo.portalgov.test", "Maria Alvarez"),
    ("Sam Whitfield", JobRole.BILLING_SPECIALIST, None, "Derek Okafor"),
    ("Jenny Lindqvist", JobRole.FRONT_DESK, "staff@demo.portalgov.test", "Maria Alvarez"),
    ("Carlos Mendez", JobRole.FRONT_DESK, None, "Maria Alvarez"),
    ("Aisha Karimi", JobRole.PRIOR_AUTH_COORDINATOR, None, "Maria Alvarez"),
    ("Kevin Marsh", JobRole.CODER, None, "Derek Okafor"),  # leaver candidate: end date next week
    ("Rosa Delgado", JobRole.FRONT_DESK, None, "Maria Alvarez"),  # new hire, accounts requested
]


def _email(name: str, org) -> str:
    return f"{name.lower().replace(' ', '.')}@{org.slug}.example"


def _uid(name: str, portal_key: str) -> str:
    first, last = name.lower().split(" ", 1)
    return f"{first[0]}{last.replace(' ', '')}{len(portal_key) % 7 + 1}"


@transaction.atomic
def seed_demo_staff(organization) -> dict:
    from access.models import AccountStatus, PortalAccount
    from access.policy import policy_for_organization
    from access.services import portal_account_create, proposed_accounts, provisioning_plan_apply
    from findings.services import findings_evaluate_organization

    from .services import enrollment_administrator_add, staff_create

    made = {"staff": 0, "accounts": 0}
    actor = Actor.job("seed_demo")
    today = timezone.localdate()
    with acting_as(actor):
        people = {}
        for name, role, login_email, manager in PEOPLE:
            staff = StaffMember.objects.filter(organization=organization, work_email__iexact=_email(name, organization)).first()
            if staff is None:
                login = (Membership.objects.filter(organization=organization, user__email=login_email)
                         .select_related("user").first() if login_email else None)
                staff = staff_create(
                    organization=organization, acting_user=actor, full_name=name,
                    work_email=_email(name, organization), job_role=role, start_date=datetime.date(2023, 3, 1),
                    end_date=today + datetime.timedelta(days=7) if name == "Kevin Marsh" else None,
                    manager=people.get(manager), user=login.user if login else None, source="demo",
                )
                made["staff"] += 1
            people[name] = staff

        registered = list(PortalEnrollment.objects.filter(organization=organization, status="registered")
                          .select_related("portal").prefetch_related("portal__functions").order_by("pk"))
        for i, enrollment in enumerate(registered):
            if not EnrollmentAdministrator.objects.filter(enrollment=enrollment).exists():
                enrollment_administrator_add(enrollment=enrollment, staff_member=people["Maria Alvarez"],
                                             role="primary", acting_user=actor)
                if i == 0:
                    enrollment_administrator_add(enrollment=enrollment, staff_member=people["Derek Okafor"],
                                                 role="backup", acting_user=actor)

        policy = policy_for_organization(organization)
        for enrollment in registered:
            offered = {f.code for f in enrollment.portal.functions.all()}
            key = enrollment.portal.reference_key or enrollment.portal.name
            for name, staff in people.items():
                if name == "Rosa Delgado" or PortalAccount.objects.filter(staff_member=staff,
                                                                          enrollment=enrollment).exists():
                    continue
                functions = sorted(policy.get(staff.job_role, frozenset()) & offered) or sorted(offered)[:1]
                if name == "Carlos Mendez" and enrollment == registered[0]:
                    # Imported from the old spreadsheet: Carlos logs in as Jenny (a shared credential).
                    portal_account_create(
                        staff_member=staff, enrollment=enrollment, acting_user=actor, functions=functions,
                        portal_user_id=_uid("Jenny Lindqvist", key), status=AccountStatus.ACTIVE,
                        source=PortalAccount.Source.IMPORT, reevaluate=False)
                else:
                    if name == "Jenny Lindqvist" and enrollment == registered[0]:
                        functions = sorted(set(functions) | {"remittance_era"})  # beyond the front-desk policy
                    portal_account_create(
                        staff_member=staff, enrollment=enrollment, acting_user=actor, functions=functions,
                        portal_user_id=_uid(name, key), status=AccountStatus.ACTIVE,
                        password_reference=f"op://{organization.slug}/{enrollment.portal.name} - {name}",
                        mfa_enrolled=True, last_login_attested=today - datetime.timedelta(days=3),
                        source=PortalAccount.Source.MANUAL, reevaluate=False)
                made["accounts"] += 1

        rosa = people["Rosa Delgado"]
        if rosa.employment_status == EmploymentStatus.ACTIVE and not rosa.portal_accounts.exists():
            proposals = proposed_accounts(rosa)
            if proposals:
                provisioning_plan_apply(staff=rosa, acting_user=actor, selections=[
                    (p["enrollment"], [f.code for f in p["functions"]]) for p in proposals])
        findings_evaluate_organization(organization=organization)
    return made
