"""Checks on what people type about portal accounts."""

import re

from django.core.exceptions import ValidationError

from staff.validators import GENERIC_NAMES, is_generic_name

# Payers delete shared logins named after a desk or a team; each person needs their own.
GENERIC_ACCOUNT_NAMES = GENERIC_NAMES


def normalize_user_id(value: str) -> str:
    return (value or "").strip().lower()


def is_generic_account_name(value: str) -> bool:
    """'Front Desk', 'billing2', 'FRONT_DESK_1' are generic; 'jdoe.billing' is not."""
    return is_generic_name(value)


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
