"""Production settings pass `check --deploy`; a weak setup does not (so this test can fail)."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def run_check(tmp_path, **overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "SECURE_", "SESSION_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portalgov.settings",
        SECRET_KEY="k3y-" + "9f8e7d6c5b4a" * 5,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="portalgov.example.org",
        PORTALGOV_VAR_DIR=str(tmp_path),
    )
    env.pop("DATABASE_URL", None)
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_catches_a_weak_secret_key_and_debug(tmp_path):
    result = run_check(tmp_path, SECRET_KEY="short", DEBUG="1")
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout
    assert "security.W018" in result.stderr + result.stdout
