"""The access policy: job role -> portal functions that role may hold.

DEFAULT_POLICY ships with PortalGov; an organization overrides one role at a time
(access.models.AccessPolicy). Financial functions (ERA, payments, fee schedules) stay with the
billing desk; portal user administration stays with practice managers (portal administrators).
"""

from __future__ import annotations

from staff.models import JobRole

ELIGIBILITY = "eligibility_benefits"
CLAIM_STATUS = "claim_status"
CLAIM_SUBMISSION = "claim_submission"
PRIOR_AUTH = "prior_authorization"
ERA = "remittance_era"
PAYMENTS = "payments_eft"
FEE_SCHEDULES = "fee_schedules"
COB = "coordination_of_benefits"
APPEALS = "appeals"
PROVIDER_DATA = "provider_data_maintenance"
USER_ADMIN = "portal_user_administration"

DEFAULT_POLICY: dict[str, frozenset[str]] = {
    JobRole.FRONT_DESK: frozenset({ELIGIBILITY, CLAIM_STATUS}),
    JobRole.BILLING_SPECIALIST: frozenset({ELIGIBILITY, CLAIM_STATUS, CLAIM_SUBMISSION, ERA, PAYMENTS, FEE_SCHEDULES,
                                           COB, APPEALS}),
    JobRole.BILLING_MANAGER: frozenset({ELIGIBILITY, CLAIM_STATUS, CLAIM_SUBMISSION, ERA, PAYMENTS, FEE_SCHEDULES,
                                        COB, APPEALS}),
    JobRole.PRIOR_AUTH_COORDINATOR: frozenset({PRIOR_AUTH, ELIGIBILITY}),
    JobRole.CODER: frozenset({CLAIM_STATUS, CLAIM_SUBMISSION, APPEALS}),
    JobRole.PRACTICE_MANAGER: frozenset({ELIGIBILITY, CLAIM_STATUS, PROVIDER_DATA, USER_ADMIN}),
    JobRole.CLINICIAN: frozenset({ELIGIBILITY, PRIOR_AUTH}),
    JobRole.CREDENTIALING: frozenset({PROVIDER_DATA}),
}


def policy_for_organization(organization) -> dict[str, frozenset[str]]:
    """Every job role's allowed function codes in this organization (two queries)."""
    from .models import AccessPolicy

    result = dict(DEFAULT_POLICY)
    for row in AccessPolicy.objects.filter(organization=organization).prefetch_related("functions"):
        result[row.job_role] = frozenset(f.code for f in row.functions.all())
    return result


def policy_is_customized(organization) -> set[str]:
    from .models import AccessPolicy

    return set(AccessPolicy.objects.filter(organization=organization).values_list("job_role", flat=True))
