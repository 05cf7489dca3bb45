"""Checks on what people type about portal accounts."""

import re

from django.core.exceptions import ValidationError

# Payers delete shared logins named after a desk or a team; each person needs their own.
GENERIC_ACCOUNT_NAMES = frozenset({
    "frontdesk", "front", "desk", "billing", "billingdept", "billingoffice", "office", "officemanager", "admin",
    "administrator", "reception", "receptionist", "checkin", "checkout", "shared", "staff", "team", "group",
    "nurse", "nurses", "clinic", "user", "users", "manager", "practice", "general", "main", "info", "test",
    "temp", "guest", "scheduling", "scheduler", "priorauth", "auth", "authorizations", "referrals", "coding",
    "coder", "eligibility", "claims", "payments", "mainoffice",
})  # fmt: skip


def normalize_user_id(value: str) -> str:
    return (value or "").strip().lower()


def is_generic_account_name(value: str) -> bool:
    """'Front Desk', 'billing2', 'FRONT_DESK_1' are generic; 'jdoe.billing' is not."""
    letters = re.sub(r"[^a-z]", "", (value or "").lower())
    return bool(letters) and letters in GENERIC_ACCOUNT_NAMES


def validate_portal_user_id(value: str) -> None:
    if is_generic_account_name(value):
        raise ValidationError(
            f"'{value}' is a generic account name; payers delete shared logins. Record the person's own user ID."
        )


# A reference names a password manager and an entry: "op://Vault/Item", "Bitwarden: Availity - J. Doe".
_REFERENCE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\- ]{0,40}(://|:\s)\S.*$")


def validate_password_reference(value: str) -> None:
    """Refuse anything that is not shaped like a password-manager reference: passwords are never stored."""
    if value and not _REFERENCE.match(value):
        raise ValidationError(
            "Give where the password lives (e.g. 'op://Billing/Availity - J. Doe' or 'Bitwarden: Availity - J. Doe'), "
            "never the password itself."
        )
