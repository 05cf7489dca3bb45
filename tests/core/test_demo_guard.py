"""Demo commands refuse to run when DEBUG is off (core/demo_guard.py), with one line and nothing changed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import Organization, User
from core.demo_guard import ensure_demo_allowed

ROOT = Path(__file__).resolve().parents[2]


@override_settings(DEBUG=False, PORTALGOV_DEMO_COMMANDS_ALLOWED=False)
def test_the_guard_refuses_with_debug_off():
    with pytest.raises(CommandError, match="seed_demo refused: DEBUG is off"):
        ensure_demo_allowed("seed_demo")


@override_settings(DEBUG=True, PORTALGOV_DEMO_COMMANDS_ALLOWED=False)
def test_the_guard_allows_debug():
    ensure_demo_allowed("seed_demo")


@override_settings(DEBUG=False, PORTALGOV_DEMO_COMMANDS_ALLOWED=False)
@pytest.mark.django_db
def test_seed_demo_with_debug_off_creates_nothing():
    with pytest.raises(CommandError, match="seed_demo refused"):
        call_command("seed_demo")
    assert not User.objects.filter(email__endswith="@demo.portalgov.test").exists()
    assert not Organization.objects.filter(slug="cascade-family").exists()


@override_settings(DEBUG=False, PORTALGOV_DEMO_COMMANDS_ALLOWED=False)
@pytest.mark.django_db
def test_demo_totp_with_debug_off_is_refused():
    with pytest.raises(CommandError, match="demo_totp refused"):
        call_command("demo_totp", "admin@demo.portalgov.test")


def test_seed_demo_on_a_production_setup_prints_one_line_and_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="portalgov.settings", SECRET_KEY="k" * 60,
               FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(), PORTALGOV_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: seed_demo refused: DEBUG is off"), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
