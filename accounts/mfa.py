"""Multi-factor sign-in (TOTP + recovery codes): who needs it, enrolment, verification.

Every state change writes its audit event in the same transaction. The session records
that the second factor was passed (SESSION_KEY holds the user's pk); a password sign-in
clears it, so each sign-in needs a fresh code.
"""

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.oath import TOTP

from audits.services import record_event

from .models import Membership, Organization, RecoveryCode, Role, TOTPDevice

SESSION_KEY = "_portalgov_mfa_verified"
ROLES_THAT_REQUIRE_MFA = frozenset({Role.ADMINISTRATOR, Role.AUDITOR})
RECOVERY_CODE_COUNT = 10
ISSUER = "PortalGov"


# --- who needs it ----------------------------------------------------------------------------
def mfa_required(user) -> bool:
    """Administrators and auditors anywhere, platform operators, and every role of an
    organization that switched on "require MFA for every role"."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(
        Q(role__in=list(ROLES_THAT_REQUIRE_MFA)) | Q(organization__mfa_required_for_all=True), user=user
    ).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


# --- the session -----------------------------------------------------------------------------
def session_is_verified(request) -> bool:
    return request.user.is_authenticated and request.session.get(SESSION_KEY) == str(request.user.pk)


def mark_session_verified(request) -> None:
    # A new session id once the second factor is passed (no fixation across the step-up).
    request.session.cycle_key()
    request.session[SESSION_KEY] = str(request.user.pk)


def clear_session_verified(session) -> None:
    session.pop(SESSION_KEY, None)


# --- TOTP ------------------------------------------------------------------------------------
def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def _key(secret_b32: str) -> bytes:
    padded = secret_b32.strip().replace(" ", "").upper()
    padded += "=" * (-len(padded) % 8)
    return base64.b32decode(padded)


def current_code(secret_b32: str, at: float | None = None) -> str:
    """The code an authenticator shows now (tests, the demo and the browser test use it)."""
    totp = TOTP(_key(secret_b32))
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


def totp_matches(secret_b32: str, token, *, last_t: int = -1) -> int | None:
    """The time step that `token` matches (one step of clock drift either way), or None.

    A step at or before last_t was already used: refused, so a code cannot be replayed."""
    token = str(token or "").strip().replace(" ", "")
    if not (token.isdigit() and len(token) == 6):
        return None
    totp = TOTP(_key(secret_b32))
    totp.time = time.time()
    if totp.verify(int(token), tolerance=1, min_t=last_t + 1):
        return totp.t()
    return None


def provisioning_uri(user, secret_b32: str) -> str:
    label = quote(f"{ISSUER}:{user.email}")
    return f"otpauth://totp/{label}?secret={secret_b32}&issuer={ISSUER}&digits=6&period=30"


def qr_svg_data_uri(uri: str) -> str:
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


# --- audit context ---------------------------------------------------------------------------
def _organization_of(user) -> Organization | None:
    """The organization whose audit log shows a user's sign-in events: the one used last."""
    if user.last_organization_id:
        return user.last_organization_id
    m = Membership.objects.filter(user=user).order_by("pk").values_list("organization_id", flat=True).first()
    return m


def _event(action, user, *, actor=None, organization=None, **kw):
    record_event(
        action, actor=actor or user, organization=organization or _organization_of(user),
        target=user, **kw,
    )


# --- enrolment -------------------------------------------------------------------------------
@transaction.atomic
def enrolment_start(*, user) -> TOTPDevice:
    """The pending (unconfirmed) authenticator for `user`, created with a fresh secret if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", secret=new_secret(), confirmed=False)
        _event("mfa.enrolment_started", user)
    return device


@transaction.atomic
def enrolment_confirm(*, user, device: TOTPDevice, token) -> list[str] | None:
    """Confirm the pending device with one valid code; returns the new recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    if not device.verify_token(token):
        _event("mfa.enrolment_code_rejected", user)
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed", "confirmed_at"])
    _event("mfa.enrolled", user)
    return recovery_codes_regenerate(user=user)


RECOVERY_CODE_LENGTHS = (16, 8)  # 16 characters (80 bits) since the codes are hashed; 8 (40 bits) before


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _normalize_code(code: str) -> str:
    return "".join(ch for ch in str(code or "").lower() if ch.isalnum())


def hash_recovery_code(code: str, *, salt: str | None = None) -> str:
    """"sha256$<salt>$<digest>" of the normalised code, with a random salt per code.

    A fast hash is enough here: a code carries 80 random bits, so trying every code against a
    stolen hash is out of reach however fast SHA-256 runs (unlike a password, there is no
    dictionary to try first). The salt makes each stored hash unique, so equal codes never match
    across rows. Codes issued before hashing (8 characters, 40 bits) were converted by migration
    accounts 0003 with Django's password hasher instead, slow enough for their smaller space.
    """
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}${_normalize_code(code)}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def recovery_code_matches(stored: str, code: str) -> bool:
    """Constant-time comparison of a typed code with a stored hash (either scheme)."""
    wanted = _normalize_code(code)
    scheme, _, rest = stored.partition("$")
    if scheme == "sha256":
        salt, _, digest = rest.partition("$")
        return hmac.compare_digest(hash_recovery_code(wanted, salt=salt).rpartition("$")[2], digest)
    from django.contrib.auth.hashers import check_password

    return check_password(wanted, stored)  # a converted 8-character code: Django's hasher compares in constant time


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """Replace every recovery code of `user`; the plaintext is returned once, to be shown once."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=hash_recovery_code(c)) for c in codes])
    # Only the hashes are kept: the plaintext exists once, on the page that shows it.
    _event("mfa.recovery_codes_generated", user, changes={"count": RECOVERY_CODE_COUNT})
    return codes


# --- verification ----------------------------------------------------------------------------
@transaction.atomic
def verify_code(*, user, token) -> bool:
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        return False
    allowed, info = device.verify_is_allowed()
    if not allowed:
        _event("mfa.verify_throttled", user, changes={"failures": info.get("failure_count")})
        return False
    ok = device.verify_token(token)
    _event("mfa.verified" if ok else "mfa.verify_failed", user)
    return ok


@transaction.atomic
def verify_recovery_code(*, user, code) -> bool:
    wanted = _normalize_code(code)
    if len(wanted) not in RECOVERY_CODE_LENGTHS:
        _event("mfa.recovery_code_rejected", user)
        return False
    rows = RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True)
    if len(wanted) == 8:  # an old code can only match a converted (password-hashed) row
        rows = rows.exclude(code_hash__startswith="sha256$")
    else:
        rows = rows.filter(code_hash__startswith="sha256$")
    for row in rows:
        if recovery_code_matches(row.code_hash, wanted):
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
            _event("mfa.recovery_code_used", user, changes={"remaining": left})
            return True
    _event("mfa.recovery_code_rejected", user)
    return False


def wait_seconds(user) -> int:
    """Seconds before the next code may be tried (exponential back-off after wrong codes)."""
    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed").first()
    if device is None:
        return 0
    allowed, info = device.verify_is_allowed()
    if allowed or not info or not info.get("locked_until"):
        return 0
    return max(1, int((info["locked_until"] - timezone.now()).total_seconds()) + 1)


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- removal ---------------------------------------------------------------------------------
@transaction.atomic
def mfa_reset(*, user, acting_user, organization=None) -> None:
    """Remove a user's authenticator and recovery codes (lost phone). If MFA is required of them,
    they must enrol again at their next sign-in."""
    from .services import login_managed_by_organization

    if organization is not None:
        login_managed_by_organization(user=user, acting_user=acting_user, organization=organization)
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    _event("mfa.reset", user, actor=acting_user, organization=organization)


def demo_secret() -> str:
    return getattr(settings, "PORTALGOV_DEMO_TOTP_SECRET", "PORTALGOVDEMOTOTPSECRETAAAAAAAAA")
