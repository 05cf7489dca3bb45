"""A missing or malformed secret stops every process at start with one line naming the variable and its expected
shape (never the value, never a traceback); `check --deploy` reports one too (portalgov/secret_checks.py)."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from portalgov.secret_checks import check_secrets

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": "k3y-" + "9f8e7d6c5b4a" * 5,
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "AUDIT_SIGNING_KEY": base64.b64encode(bytes(range(32))).decode(),
}


def _start(tmp_path, argv, **overrides):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DEBUG", "DATABASE_URL", "CELERY_")) and k not in GOOD}
    env.update(DJANGO_SETTINGS_MODULE="portalgov.settings", PORTALGOV_VAR_DIR=str(tmp_path), **GOOD)
    env.update(overrides)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


MANAGE = [sys.executable, "manage.py", "check"]
BAD = [
    ({"SECRET_KEY": None}, "SECRET_KEY must be set when DEBUG is off", None),
    ({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off", None),
    ({"FIELD_ENCRYPTION_KEYS": GOOD["FIELD_ENCRYPTION_KEYS"] + ",not-a-fernet-key-but-secret"},
     "FIELD_ENCRYPTION_KEYS entry 2 of 2 is not a Fernet key", "not-a-fernet-key-but-secret"),
    ({"AUDIT_SIGNING_KEY": base64.b64encode(b"sixteen-byte-key").decode()},
     "AUDIT_SIGNING_KEY decodes to 16 bytes, not 32", base64.b64encode(b"sixteen-byte-key").decode()),
    ({"AUDIT_SIGNING_KEY": "not base64 at all!"}, "AUDIT_SIGNING_KEY is not base64", "not base64 at all!"),
]


@pytest.mark.parametrize(("overrides", "message", "value"), BAD)
def test_manage_py_stops_with_one_line(tmp_path, overrides, message, value):
    result = _start(tmp_path, MANAGE, **overrides)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("PortalGov cannot start: " + message)
    assert "Traceback" not in result.stderr
    if value:
        assert value not in result.stderr  # the secret itself is never printed


def test_the_celery_worker_stops_with_one_line(tmp_path):
    result = _start(tmp_path, [sys.executable, "-m", "celery", "-A", "portalgov", "worker"],
                    FIELD_ENCRYPTION_KEYS="short")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "PortalGov cannot start: FIELD_ENCRYPTION_KEYS entry 1 of 1 is not a Fernet key: 32 random bytes in url-safe "
        "base64, 44 characters ending in '=' (python manage.py generate_encryption_key)."
    ]


def test_well_formed_secrets_start(tmp_path):
    result = _start(tmp_path, MANAGE)
    assert result.returncode == 0, result.stderr


def test_the_build_settings_need_no_secret(tmp_path):
    """deploy/build-image.sh runs collectstatic with these: no runtime secret, no database."""
    probe = "import django; from django.conf import settings; django.setup(); print(settings.DATABASES['default']['ENGINE'])"
    result = _start(tmp_path, [sys.executable, "-c", probe], DJANGO_SETTINGS_MODULE="portalgov.build_settings",
                    SECRET_KEY=None, FIELD_ENCRYPTION_KEYS=None, AUDIT_SIGNING_KEY=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.dummy"


@override_settings(FIELD_ENCRYPTION_KEYS=["not-a-key"], AUDIT_SIGNING_KEY="c2hvcnQ=")
def test_check_deploy_reports_a_malformed_secret():
    errors = check_secrets()
    assert [e.id for e in errors] == ["portalgov.E001", "portalgov.E001"]
    assert "FIELD_ENCRYPTION_KEYS entry 1 of 1" in errors[0].msg and "AUDIT_SIGNING_KEY" in errors[1].msg
    with pytest.raises(SystemCheckError, match="FIELD_ENCRYPTION_KEYS entry 1 of 1 is not a Fernet key"):
        call_command("check", deploy=True)


def test_check_deploy_is_quiet_about_well_formed_secrets(settings):
    assert check_secrets() == []
