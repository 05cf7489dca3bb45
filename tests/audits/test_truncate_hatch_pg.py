# ruff: noqa: S608
"""audits/0002's TRUNCATE escape hatch (for Django's test flush) is decided by an explicit setting,
AUDIT_ALLOW_TEST_TRUNCATE, which only the test settings turn on; a database's name never does."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
ROOT = Path(__file__).resolve().parents[2]


def _function_source(cur) -> str:
    cur.execute("SELECT pg_get_functiondef('audits_forbid_change'::regproc)")
    return cur.fetchone()[0]


def test_the_test_settings_turn_the_escape_hatch_on(settings):
    assert settings.AUDIT_ALLOW_TEST_TRUNCATE is True
    with connection.cursor() as cur:
        assert "allow_truncate" in _function_source(cur)


def test_production_settings_leave_it_off_even_on_a_database_named_test_(tmp_path):
    from cryptography.fernet import Fernet

    params = connection.get_connection_params()
    name = f"test_{connection.settings_dict['NAME']}_hatch"[:60]
    admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        url = (f"postgres://{params.get('user', 'postgres')}@{params.get('host', '127.0.0.1')}:"
               f"{params.get('port', 5432)}/{name}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(DJANGO_SETTINGS_MODULE="portalgov.settings", DATABASE_URL=url, SECRET_KEY="k" * 60,
                   FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(), PORTALGOV_VAR_DIR=str(tmp_path))
        result = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        db = psycopg2.connect(**{**params, "dbname": name})
        try:
            with db.cursor() as cur:
                assert "allow_truncate" not in _function_source(cur)
                cur.execute("SET audits.allow_truncate = 'on'")
                with pytest.raises(psycopg2.Error, match="append-only"):
                    cur.execute("TRUNCATE audits_auditevent")
        finally:
            db.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
