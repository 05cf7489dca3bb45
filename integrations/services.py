"""Creating, revoking and checking API credentials. Writes are audited in their own transaction."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import roles
from audits.services import record_event
from core.context import Actor

from .models import ApiCredential

TOKEN_PREFIX = "pgv"  # noqa: S105  # nosec B105 -- a public marker in every token, not a secret
# What an integration may be given: reading and keeping the roster, reading accounts, findings and
# the audit log. Managing logins, roles or credentials stays with people (and MFA).
CREDENTIAL_PERMISSIONS = (
    roles.VIEW_ORGANIZATION, roles.VIEW_STAFF, roles.MANAGE_STAFF, roles.VIEW_PORTAL_ACCOUNTS,
    roles.VIEW_FINDINGS, roles.VIEW_AUDIT_LOG, roles.EXPORT_AUDIT_LOG,
)
# SCIM provisioning (/scim/v2/): create, change and deactivate people from an identity provider.
# A scope of its own, not an app permission: no person's role carries it.
SCIM_SCOPE = "scim"
CREDENTIAL_PERMISSIONS = (*CREDENTIAL_PERMISSIONS, SCIM_SCOPE)
# Writing last_used_at on every call would turn every read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough (nothing to brute-force).
    return hashlib.sha256(secret.encode()).hexdigest()


def credential_actor(credential: ApiCredential) -> Actor:
    return Actor(kind="api", id=credential.key_id, label=f"api:{credential.name}")


@transaction.atomic
def credential_create(*, organization, acting_user, name: str, permissions, expires_at=None
                      ) -> tuple[ApiCredential, str]:
    """Return the credential and its token; the token is not kept and cannot be shown again."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Give the credential a name (which system uses it)."
    elif ApiCredential.objects.filter(organization=organization, name__iexact=name, revoked_at__isnull=True).exists():
        errors["name"] = f"A live credential named {name!r} exists already."
    perms = sorted(set(permissions or ()))
    if not perms:
        errors["permissions"] = "Choose at least one permission."
    elif unknown := [p for p in perms if p not in CREDENTIAL_PERMISSIONS]:
        errors["permissions"] = f"An API credential cannot carry: {', '.join(unknown)}."
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "The expiry must be in the future."
    if errors:
        raise ValidationError(errors)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    credential = ApiCredential.objects.create(
        organization=organization, name=name, permissions=perms, key_id=key_id, secret_hash=_hash(secret),
        created_by=acting_user, expires_at=expires_at,
    )
    record_event(
        "integrations.credential_created", actor=acting_user, organization=organization, target=credential,
        changes={"name": [None, name], "permissions": [None, perms], "key_id": [None, key_id],
                 "expires_at": [None, expires_at.isoformat() if expires_at else None]},
    )
    return credential, f"{TOKEN_PREFIX}_{key_id}_{secret}"


@transaction.atomic
def credential_revoke(*, credential: ApiCredential, acting_user) -> ApiCredential:
    credential = ApiCredential.objects.select_for_update().get(pk=credential.pk)
    if credential.revoked_at is not None:
        return credential  # revoking twice changes nothing
    credential.revoked_at = timezone.now()
    credential.revoked_by = acting_user
    credential.save(update_fields=["revoked_at", "revoked_by"])
    record_event("integrations.credential_revoked", actor=acting_user, organization=credential.organization_id,
                 target=credential, changes={"revoked_at": [None, credential.revoked_at.isoformat()]})
    return credential


def credential_revoke_consequences(credential: ApiCredential) -> list[str]:
    """What revoking a credential does, in words, before it is done (a revoked token never works again)."""
    if credential.revoked_at is not None:
        return [f"“{credential.name}” was already revoked on {credential.revoked_at:%Y-%m-%d}: nothing changes."]
    used = (f"last used {timezone.localtime(credential.last_used_at):%Y-%m-%d %H:%M %Z}" if credential.last_used_at
            else "never used")
    lines = [f"Every request with the “{credential.name}” token is refused (401) at once; it was {used}."]
    if SCIM_SCOPE in credential.permissions:
        lines.append("The identity provider's SCIM provisioning with this token stops: joiners and leavers switched "
                     "there are no longer applied here until a new credential is set up in it.")
    if "accounts.manage_staff" in credential.permissions:
        lines.append("The HR sync that adds, changes and terminates staff with this token stops.")
    lines.append("This cannot be undone: a revoked token never works again; create a new credential to replace it.")
    return lines


def credential_authenticate(token: str, *, now=None) -> ApiCredential | None:
    """The usable credential a token names, or None (unknown, wrong secret, expired or revoked)."""
    parts = (token or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    credential = ApiCredential.objects.select_related("organization").filter(key_id=parts[1]).first()
    expected = credential.secret_hash if credential is not None else _hash("")
    # Constant-time comparison, also when the key id is unknown.
    if not hmac.compare_digest(_hash(parts[2]), expected) or credential is None:
        return None
    now = now or timezone.now()
    if not credential.is_usable(now):
        return None
    if credential.last_used_at is None or now - credential.last_used_at >= LAST_USED_RESOLUTION:
        ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now
    return credential
