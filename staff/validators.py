"""Names that belong to a desk or a team, never to a person.

HIPAA's unique-credential rule starts on the roster: a "Front Desk" staff member is a shared login
waiting to happen. Portal user IDs (access.validators) and staff names use the same list.
"""

import re

from django.core.exceptions import ValidationError

GENERIC_NAMES = frozenset({
    "frontdesk", "front", "desk", "frontoffice", "backoffice", "billing", "billingdept", "billingdepartment",
    "billingoffice", "billingteam", "office", "officestaff", "officemanager", "admin", "administrator",
    "administration", "reception", "receptionist", "checkin", "checkout", "shared", "staff", "team", "group",
    "nurse", "nurses", "nursing", "clinic", "user", "users", "manager", "practice", "general", "main", "info",
    "test", "temp", "guest", "scheduling", "scheduler", "priorauth", "auth", "authorizations", "referrals",
    "coding", "coder", "eligibility", "claims", "payments", "mainoffice",
})  # fmt: skip


def is_generic_name(value: str) -> bool:
    """'Front Desk', 'billing2', 'FRONT_DESK_1', ' front  desk ' are generic; 'Dana Front' is not."""
    letters = re.sub(r"[^a-z]", "", (value or "").lower())
    return bool(letters) and letters in GENERIC_NAMES


GENERIC_STAFF_NAME_RULE = "a staff member is one person: desk, team or role names are not accepted"


def validate_person_name(value: str) -> None:
    if is_generic_name(value):
        raise ValidationError(
            f"'{value}' is a desk or role name; {GENERIC_STAFF_NAME_RULE}. Enter the person's own name.",
            code="generic_name",
        )
