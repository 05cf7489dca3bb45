"""The rules engine: each rule reads the organization's data (a fixed number of queries, however
many people) and yields the facts that fail it. findings.services turns them into Findings."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from access.models import (
    LIVE_STATUSES,
    AccessException,
    AccountStatus,
    OrganizationCredential,
    PortalAccount,
    ProvisioningTask,
)
from access.policy import policy_for_organization
from access.validators import is_generic_account_name, normalize_user_id
from carriers.models import PortalAccountRule, PortalEnrollment, PortalFunction
from staff.models import EmploymentStatus, EnrollmentAdministrator, JobRole

from .models import Severity

INACTIVE_AFTER_DAYS = 90


class Rule:
    SHARED_CREDENTIAL = "shared_credential"
    GENERIC_ACCOUNT_NAME = "generic_account_name"
    LEAVER_WITH_ACCOUNT = "leaver_with_account"
    ON_LEAVE_WITH_ACTIVE_ACCOUNT = "on_leave_with_active_account"
    BEYOND_POLICY = "beyond_policy"
    ENROLLMENT_WITHOUT_ADMINISTRATOR = "enrollment_without_administrator"
    ADMINISTRATOR_LIMIT_EXCEEDED = "administrator_limit_exceeded"
    CREDENTIAL_ROTATION_DUE = "credential_rotation_due"
    DEACTIVATION_OVERDUE = "deactivation_overdue"
    INACTIVE_ACCOUNT = "inactive_account"


RULE_LABELS = {
    Rule.SHARED_CREDENTIAL: "Shared credential",
    Rule.GENERIC_ACCOUNT_NAME: "Generic account name",
    Rule.LEAVER_WITH_ACCOUNT: "Leaver with a live account",
    Rule.ON_LEAVE_WITH_ACTIVE_ACCOUNT: "On leave with an active account",
    Rule.BEYOND_POLICY: "Access beyond policy",
    Rule.ENROLLMENT_WITHOUT_ADMINISTRATOR: "Enrollment without an active administrator",
    Rule.ADMINISTRATOR_LIMIT_EXCEEDED: "Administrator limit exceeded",
    Rule.CREDENTIAL_ROTATION_DUE: "Organization credential needs rotating",
    Rule.DEACTIVATION_OVERDUE: "Deactivation overdue",
    Rule.INACTIVE_ACCOUNT: "Inactive account",
    "audit_log_verification_failed": "Audit log verification failed",
}

# Invariant 1 (and 2, 3): these cannot be silenced, only fixed.
# A failed audit-log verification is the tamper alarm: whoever could tamper must not be able to accept it.
UNSILENCEABLE = frozenset({Rule.SHARED_CREDENTIAL, Rule.LEAVER_WITH_ACCOUNT, Rule.ENROLLMENT_WITHOUT_ADMINISTRATOR,
                           "audit_log_verification_failed"})


@dataclass
class FindingSpec:
    rule: str
    severity: str
    key: str
    title: str
    detail: str = ""
    staff_member_id: int | None = None
    portal_account_id: int | None = None
    enrollment_id: int | None = None
    credential_id: int | None = None


# Other apps add rules here (e.g. reviews: an overdue review campaign). A provider takes
# (organization, now) and returns FindingSpecs; it runs inside every evaluation.
RULE_PROVIDERS: list = []


# Who has left but is still inside the practice's offboarding deadline (offboarding answers): their accounts
# are on the clock and raise the leaver finding only once it has run out. provider(organization, now) -> ids.
LEAVER_GRACE_PROVIDERS: list = []


def register_leaver_grace(provider) -> None:
    if provider not in LEAVER_GRACE_PROVIDERS:
        LEAVER_GRACE_PROVIDERS.append(provider)


def register_rule_provider(provider) -> None:
    if provider not in RULE_PROVIDERS:
        RULE_PROVIDERS.append(provider)


def evaluate_rules(organization, now: datetime.datetime) -> list[FindingSpec]:
    specs = _builtin_rules(organization, now)
    for provider in RULE_PROVIDERS:
        specs += list(provider(organization, now))
    return specs


def _builtin_rules(organization, now: datetime.datetime) -> list[FindingSpec]:
    today = now.date()
    specs: list[FindingSpec] = []
    # Plain rows, not model instances: at 6,000 accounts per practice building three objects per account
    # (account, person, portal) was most of the daily job's time. Three queries whatever the size.
    accounts = [AccountRow(*row) for row in PortalAccount.objects.filter(
        organization=organization, status__in=LIVE_STATUSES).order_by().values_list(*AccountRow.FIELDS)]
    order, names, labels = {}, {}, {}
    for pk, code, name, sort_order in PortalFunction.objects.values_list("pk", "code", "name", "sort_order"):
        order[pk], names[pk], labels[code] = (sort_order, name, pk), code, name
    held = defaultdict(list)
    # By the live accounts' ids (an index lookup per account), not by a join on the account's organization:
    # the link table has no organization column, and that join read all of it (every practice's functions,
    # in parallel workers) once per practice: 130 to 210 ms each at 300,000 accounts. Ordered here (a few
    # functions per account), not by a join to the function table and a sort in SQL.
    for account_id, function_id in (PortalAccount.functions.through.objects
                                    .filter(portalaccount_id__in=[a.pk for a in accounts]).order_by()
                                    .values_list("portalaccount_id", "portalfunction_id")):
        held[account_id].append(function_id)
    functions = {}
    for account_id, function_ids in held.items():
        function_ids.sort(key=order.__getitem__)
        functions[account_id] = [(names[f], labels[names[f]]) for f in function_ids]
    specs += _shared_credentials(accounts)
    grace = set().union(*(p(organization, now) for p in LEAVER_GRACE_PROVIDERS)) if LEAVER_GRACE_PROVIDERS else set()
    specs += _account_rules(organization, accounts, functions, today, grace)
    specs += _enrollment_rules(organization)
    for cred in OrganizationCredential.objects.filter(organization=organization, rotation_required=True):
        specs.append(FindingSpec(
            Rule.CREDENTIAL_ROTATION_DUE, Severity.HIGH, f"rotate:{cred.pk}",
            f"Rotate organization credential {cred.label}", cred.rotation_reason, credential_id=cred.pk))
    overdue = (ProvisioningTask.objects
               .filter(organization=organization, kind=ProvisioningTask.Kind.DEACTIVATE,
                       status=ProvisioningTask.Status.OPEN, due_on__lt=today)
               .select_related("portal_account__staff_member", "portal_account__enrollment__portal"))
    for task in overdue:
        acct = task.portal_account
        specs.append(FindingSpec(
            Rule.DEACTIVATION_OVERDUE, Severity.HIGH, f"deactivation_overdue:{acct.pk}",
            f"Deactivation of {acct.staff_member.full_name} on {acct.enrollment.portal.name} is overdue",
            f"Due {task.due_on:%Y-%m-%d}.", staff_member_id=acct.staff_member_id, portal_account_id=acct.pk))
    return specs


class AccountRow(NamedTuple):
    """What the account rules read of one live account, its holder and its portal."""

    pk: int
    portal_user_id: str
    status: str
    last_login_attested: datetime.date | None
    staff_member_id: int
    full_name: str
    employment_status: str
    end_date: datetime.date | None
    job_role: str
    portal_id: int
    portal_name: str

    FIELDS = ("pk", "portal_user_id", "status", "last_login_attested", "staff_member_id", "staff_member__full_name",
              "staff_member__employment_status", "staff_member__end_date", "staff_member__job_role",
              "enrollment__portal_id", "enrollment__portal__name")


def _shared_credentials(accounts: list[AccountRow]) -> list[FindingSpec]:
    groups = defaultdict(list)
    for acct in accounts:
        uid = normalize_user_id(acct.portal_user_id)
        if uid:
            groups[(acct.portal_id, uid)].append(acct)
    specs = []
    for (portal_id, uid), members in groups.items():
        if len(members) < 2:
            continue
        people = sorted({a.full_name for a in members})
        portal = members[0].portal_name
        if len(people) > 1:
            title = f"User ID '{uid}' on {portal} is shared by {', '.join(people)}"
        else:
            title = f"User ID '{uid}' on {portal} is recorded {len(members)} times for {people[0]}"
        specs.append(FindingSpec(
            Rule.SHARED_CREDENTIAL, Severity.CRITICAL, f"shared:{portal_id}:{uid}", title,
            "One person, one credential: each person needs their own login.",
            staff_member_id=members[0].staff_member_id, portal_account_id=min(a.pk for a in members)))
    return specs


def _account_rules(organization, accounts: list[AccountRow], functions, today, grace=frozenset()) -> list[FindingSpec]:
    policy = policy_for_organization(organization)
    live_exceptions = set(
        AccessException.objects.filter(organization=organization, approved_at__isnull=False, revoked_at__isnull=True,
                                       expires_on__gte=today).values_list("portal_account_id", "function__code")
    )
    status_label = {s.value: s.label.lower() for s in AccountStatus}
    role_label = {r.value: r.label.lower() for r in JobRole}
    specs = []
    for acct in accounts:
        portal = acct.portal_name
        ids = {"staff_member_id": acct.staff_member_id, "portal_account_id": acct.pk}
        if acct.portal_user_id and is_generic_account_name(acct.portal_user_id):
            specs.append(FindingSpec(
                Rule.GENERIC_ACCOUNT_NAME, Severity.HIGH, f"generic:{acct.pk}",
                f"Generic account name '{acct.portal_user_id}' on {portal}",
                "Payers delete shared desk logins; give each person their own.", **ids))
        left = acct.employment_status == EmploymentStatus.TERMINATED or (acct.end_date and acct.end_date < today)
        if left and acct.staff_member_id in grace:
            continue  # on the offboarding clock: the finding comes if the deadline passes
        if left:
            specs.append(FindingSpec(
                Rule.LEAVER_WITH_ACCOUNT, Severity.CRITICAL, f"leaver:{acct.pk}",
                f"{acct.full_name} has left but still has a {status_label.get(acct.status, acct.status.lower())} account "
                f"on {portal}",
                "No access without employment: deactivate it on the portal and record the confirmation.", **ids))
            continue
        if acct.employment_status == EmploymentStatus.ON_LEAVE and acct.status == AccountStatus.ACTIVE:
            specs.append(FindingSpec(
                Rule.ON_LEAVE_WITH_ACTIVE_ACCOUNT, Severity.HIGH, f"on_leave:{acct.pk}",
                f"{acct.full_name} is on leave with an active account on {portal}",
                "Suspend the account until they return.", **ids))
        allowed = policy.get(acct.job_role, frozenset())
        for code, name in functions.get(acct.pk, ()):
            if code not in allowed and (acct.pk, code) not in live_exceptions:
                specs.append(FindingSpec(
                    Rule.BEYOND_POLICY, Severity.HIGH, f"beyond:{acct.pk}:{code}",
                    f"{acct.full_name} holds {name} on {portal}, beyond the "
                    f"{role_label.get(acct.job_role, acct.job_role.lower())} policy",
                    "Remove the function, or record an approved exception with an expiry date.", **ids))
        if (acct.status == AccountStatus.ACTIVE and acct.last_login_attested
                and (today - acct.last_login_attested).days > INACTIVE_AFTER_DAYS):
            specs.append(FindingSpec(
                Rule.INACTIVE_ACCOUNT, Severity.LOW, f"inactive:{acct.pk}",
                f"{acct.full_name} has not used {portal} since {acct.last_login_attested:%Y-%m-%d}",
                f"No login for more than {INACTIVE_AFTER_DAYS} days: does the job still need it?", **ids))
    return specs


def _enrollment_rules(organization) -> list[FindingSpec]:
    enrollments = list(PortalEnrollment.objects.filter(organization=organization,
                                                       status=PortalEnrollment.Status.REGISTERED)
                       .select_related("portal"))
    admins = defaultdict(list)
    for adm in (EnrollmentAdministrator.objects
                .filter(enrollment__organization=organization, staff_member__employment_status=EmploymentStatus.ACTIVE)
                .only("enrollment_id", "role")):
        admins[adm.enrollment_id].append(adm.role)
    limits = defaultdict(dict)
    for rule in PortalAccountRule.objects.filter(
            portal_id__in={e.portal_id for e in enrollments}, number__isnull=False,
            kind__in=[PortalAccountRule.Kind.MAX_ADMINISTRATORS, PortalAccountRule.Kind.MAX_PRIMARY_ADMINISTRATORS]):
        limits[rule.portal_id][rule.kind] = rule.number
    specs = []
    for enr in enrollments:
        roles = admins.get(enr.pk, [])
        if not roles:
            specs.append(FindingSpec(
                Rule.ENROLLMENT_WITHOUT_ADMINISTRATOR, Severity.CRITICAL, f"no_admin:{enr.pk}",
                f"{enr} has no active administrator",
                "Nobody can add or remove users there: name a primary administrator.", enrollment_id=enr.pk))
        lim = limits.get(enr.portal_id, {})
        most = lim.get(PortalAccountRule.Kind.MAX_ADMINISTRATORS)
        most_primary = lim.get(PortalAccountRule.Kind.MAX_PRIMARY_ADMINISTRATORS)
        primaries = roles.count("primary")
        if (most is not None and len(roles) > most) or (most_primary is not None and primaries > most_primary):
            specs.append(FindingSpec(
                Rule.ADMINISTRATOR_LIMIT_EXCEEDED, Severity.MEDIUM, f"admin_limit:{enr.pk}",
                f"{enr} has more administrators than {enr.portal.name} allows",
                f"{len(roles)} active ({primaries} primary); the portal allows "
                f"{most if most is not None else 'any'} ({most_primary if most_primary is not None else 'any'} primary).",
                enrollment_id=enr.pk))
    return specs
