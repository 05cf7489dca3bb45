"""Settings come from the environment with safe production defaults (each case in a fresh interpreter)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'db': settings.DATABASES['default']['ENGINE'], "
    "'broker': settings.CELERY_BROKER_URL, 'email': settings.EMAIL_BACKEND, "
    "'secure_cookie': settings.SESSION_COOKIE_SECURE, 'hosts': settings.ALLOWED_HOSTS, "
    "'sessions': settings.SESSION_ENGINE, 'cache': settings.CACHES['default']['BACKEND']}))"
)


def _settings(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS",
                          "EMAIL_BACKEND", "FIELD_ENCRYPTION_KEYS", "CACHE_URL", "SESSION_ENGINE"}}
    clean.update(DJANGO_SETTINGS_MODULE="portalgov.settings", PORTALGOV_VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=60)


def test_without_debug_a_secret_key_is_required(tmp_path):
    result = _settings(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_nothing_set_but_debug_gives_the_embedded_default(tmp_path):
    result = _settings(tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["broker"] == "filesystem://"
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["secure_cookie"] is False
    # A per-process cache: sessions stay in the database (a signed-out session must end in every worker).
    assert values["cache"].endswith("LocMemCache")
    assert values["sessions"] == "django.contrib.sessions.backends.db"


def test_production_defaults_and_urls_switch_to_postgresql_and_redis(tmp_path):
    from cryptography.fernet import Fernet

    result = _settings(
        tmp_path, SECRET_KEY="x" * 60, FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL="postgres://app@db.internal:5432/portalgov", CELERY_BROKER_URL="redis://cache.internal:6379/0",
        ALLOWED_HOSTS="portalgov.example.org",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is False and values["secure_cookie"] is True
    assert values["db"] == "django.db.backends.postgresql"
    assert values["broker"] == "redis://cache.internal:6379/0"
    assert values["hosts"] == ["portalgov.example.org"]


def test_a_shared_cache_carries_the_sessions_written_through_to_the_database(tmp_path):
    """With Redis as the cache (production), each page reads its session from it, not from PostgreSQL."""
    result = _settings(tmp_path, DEBUG="1", CACHE_URL="redis://cache.internal:6379/1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert values["sessions"] == "django.contrib.sessions.backends.cached_db"
