"""Settings for the test suite: production defaults (DEBUG off) with a throwaway key."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret")  # nosec B105
os.environ.setdefault("PORTALGOV_VAR_DIR", "/tmp/portalgov-test-var")  # noqa: S108 (tests only)

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests never ship
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["*"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
