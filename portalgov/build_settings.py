"""Settings for building the image only (deploy/build-image.sh runs collectstatic with them).

No runtime secret exists at build time, and none may end up in the image: the keys below are made fresh
for this one process and thrown away with it. There is no database, so nothing can run against these
settings but commands that need none (collectstatic).
"""

import base64
import os
import secrets

os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
os.environ["FIELD_ENCRYPTION_KEYS"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
os.environ["AUDIT_SIGNING_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
os.environ["DEBUG"] = "0"  # hashed, compressed static files (whitenoise's manifest storage) as in production
os.environ.pop("DATABASE_URL", None)

from .settings import *  # noqa: E402,F403

DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
