"""What each secret must look like, checked in one place.

settings.py calls `stop_on_bad_secrets()` while it loads, so gunicorn (with --preload), the Celery worker and
beat and every manage.py command stop at start with one line naming the variable and its expected shape,
never a traceback and never the value. `check_secrets` is the same rule as a `check --deploy` system check,
for settings modules that replace a value after settings.py has run.

Only the standard library and cryptography here: this module is imported before Django is set up.
"""

import base64
import binascii
import sys

FERNET_HINT = ("a Fernet key: 32 random bytes in url-safe base64, 44 characters ending in '=' "
               "(python manage.py generate_encryption_key)")
SIGNING_HINT = ("the base64 of a 32-byte Ed25519 seed, 44 characters "
                "(python -c \"import os,base64;print(base64.b64encode(os.urandom(32)).decode())\")")
DJANGO_KEY_HINT = ("a long random string, at least 50 characters "
                   "(python -c \"import secrets;print(secrets.token_urlsafe(50))\")")


def secret_key_problem(value: str, debug: bool) -> str | None:
    if not value.strip() and not debug:
        return f"SECRET_KEY must be set when DEBUG is off: {DJANGO_KEY_HINT}."
    return None


def _is_fernet_key(key: str) -> bool:
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return len(raw) == 32 and len(key) == 44


def fernet_keys_problem(keys: list[str], debug: bool) -> str | None:
    if not keys:
        return None if debug else f"FIELD_ENCRYPTION_KEYS must be set when DEBUG is off: comma-separated, each {FERNET_HINT}."
    for i, key in enumerate(keys, start=1):
        if not _is_fernet_key(key.strip()):
            return f"FIELD_ENCRYPTION_KEYS entry {i} of {len(keys)} is not {FERNET_HINT}."
    return None


def signing_key_problem(value: str) -> str | None:
    if not value:
        return None  # optional here: AUDIT_SIGNING_KEY_FILE may hold the key instead (docs/audit-log.md)
    try:
        seed = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return f"AUDIT_SIGNING_KEY is not base64: it must be {SIGNING_HINT}."
    if len(seed) != 32:
        return f"AUDIT_SIGNING_KEY decodes to {len(seed)} bytes, not 32: it must be {SIGNING_HINT}."
    return None


def secret_problems(*, secret_key: str, fernet_keys: list[str], signing_key: str, debug: bool) -> list[str]:
    found = [
        secret_key_problem(secret_key, debug),
        fernet_keys_problem(fernet_keys, debug),
        signing_key_problem(signing_key),
    ]
    return [p for p in found if p]


def stop_on_bad_secrets(**values) -> None:
    problems = secret_problems(**values)
    if problems:
        # One line, no traceback: this is a configuration mistake, not a bug.
        print(f"PortalGov cannot start: {problems[0]}", file=sys.stderr, flush=True)
        raise SystemExit(1)


def check_secrets(app_configs=None, **kwargs):
    """`manage.py check --deploy`: the same rules, against the settings as finally loaded."""
    from django.conf import settings
    from django.core.checks import Error

    problems = secret_problems(
        secret_key=settings.SECRET_KEY, fernet_keys=list(settings.FIELD_ENCRYPTION_KEYS),
        signing_key=settings.AUDIT_SIGNING_KEY, debug=settings.DEBUG,
    )
    return [Error(p, id="portalgov.E001") for p in problems]
