"""Settings for the test suite: production defaults (DEBUG off) with a throwaway key."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret")  # nosec B105
os.environ.setdefault("PORTALGOV_VAR_DIR", "/tmp/portalgov-test-var")  # noqa: S108 (tests only)
# A throwaway Fernet key for EncryptedTextField in tests (never used outside the test suite).
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktbm90LXNlY3JldCE=")  # nosec B105

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests never ship
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["*"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# The whole suite calls the API from 127.0.0.1 within a minute: the rate-limit tests set their own low rates.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_address": "100000/min",  # noqa: F405
                                                               "api_credential": "100000/min"}}
# Demo commands (seed_demo, demo_totp) refuse to run with DEBUG off except here (core/demo_guard.py).
PORTALGOV_DEMO_COMMANDS_ALLOWED = True
# Django's test flush TRUNCATEs tables between transactional tests; audits/0002 allows it on the audit tables only
# when this is on (explicitly, never because of a database's name).
AUDIT_ALLOW_TEST_TRUNCATE = True
