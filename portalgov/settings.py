"""PortalGov settings: every value comes from the environment.

With nothing set, PortalGov runs on its embedded default: a SQLite file under var/, Celery on a
filesystem broker under var/celery (so the worker and the scheduler really run, with no Redis),
and e-mail printed to the console. DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and
Redis. DEBUG is off unless set, and with DEBUG off a SECRET_KEY is required.
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import environ

from portalgov.secret_checks import stop_on_bad_secrets

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTALGOV_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # third party
    "guardian",
    "auditlog",
    "django_celery_beat",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "axes",
    "csp",
    # PortalGov
    "security",
    "accounts",
    "audits",
    "core",
    "carriers",
    "hygiene",
    "staff",
    "access",
    "findings",
    "reviews",
    "training",
    "offboarding",
    "integrations",
    "reconciliation",
    "compliance",
    "scim",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # NUL and other control characters in query strings, form posts and JSON bodies: a clear 400 at once.
    "core.middleware.ControlCharacterMiddleware",
    # After auth and messages: idle sign-out first, then the second-factor gate.
    "security.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audits.middleware.AuditContextMiddleware",  # auditlog context with the trusted client IP
    "security.access_audit.AccessAuditMiddleware",  # refusals (one event per burst) and downloads, audited
    # Last, as django-axes asks: turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portalgov.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenancy",
                "security.context_processors.idle",
            ],
        },
    },
]

# Django's form renderer with the one-line <input> templates written out in Python (the same bytes): a review
# queue page renders hundreds of radio buttons and check boxes.
FORM_RENDERER = "core.form_renderer.FastInputRenderer"

WSGI_APPLICATION = "portalgov.wsgi.application"

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portalgov.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening one per request cost a few ms of every page (PostgreSQL forks a backend).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process, the worker and the scheduler share the demo file.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = None  # show registration/logged_out.html
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Guardian: no anonymous user row; PortalGov never grants anything to anonymous visitors.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# --- internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
FORMAT_MODULE_PATH = ["portalgov.formats"]  # ISO dates and 24-hour times with the zone (issue 13)
USE_TZ = True

# --- static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# --- security ---------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The container health check asks over plain HTTP from inside the container (deploy/healthcheck.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Only trust X-Forwarded-Proto / X-Forwarded-For when a proxy we run sets them.
if env.bool("BEHIND_TRUSTED_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of us append to X-Forwarded-For (0: use REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- sign-in security (see docs/security.md) ---------------------------------------------------
# Lock-out: AXES_FAILURE_LIMIT failed sign-ins for one e-mail address from one client address lock
# that pair for the cool-off time, or until an administrator of the practice unlocks it.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Counted per login AND client address together: per login alone let anyone anywhere lock a person
# out with five wrong passwords; per address alone would lock a practice's whole staff behind one
# NAT address. A guesser is still stopped at five tries from each address (docs/security.md).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
SILENCED_SYSTEM_CHECKS: list[str] = []
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "security.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"
AXES_VERBOSE = False
# Idle sign-out, enforced by the server (security.middleware); the page warns a little before.
IDLE_TIMEOUT_SECONDS = env.int("IDLE_TIMEOUT_MINUTES", default=15) * 60
IDLE_WARNING_SECONDS = env.int("IDLE_WARNING_SECONDS", default=120)
# Encryption at rest (security.fields.EncryptedTextField): comma-separated Fernet keys, the
# first encrypts, all decrypt (rotation: see security/crypto.py). Required unless DEBUG.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Content-Security-Policy (django-csp): no inline script or style anywhere; JS lives in static/js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- e-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PortalGov <no-reply@portalgov.localhost>")

# --- cache ------------------------------------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Sessions: every signed-in page read its session row from PostgreSQL (one query per request). With a cache
# that every process shares (Redis in production, CACHE_URL) the session is read from the cache and written
# through to the database (cached_db), so signing out or an idle sign-out ends it in every process at once.
# A per-process cache (locmem, the embedded default) would keep a signed-out session alive in the other
# workers, so without a shared cache the sessions stay in the database alone.
_PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")
SESSION_ENGINE = env.str(
    "SESSION_ENGINE",
    default="django.contrib.sessions.backends.db"
    if CACHES["default"]["BACKEND"] in _PER_PROCESS_CACHES
    else "django.contrib.sessions.backends.cached_db",
)

# --- Celery -----------------------------------------------------------------------------------
CELERY_DATA_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker: messages are files under var/celery, so the demo needs no Redis.
    for sub in ("out", "processed", "control"):
        (CELERY_DATA_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "out"),
        "data_folder_out": str(CELERY_DATA_DIR / "out"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- audit ------------------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False
# One table for auditlog diffs and business events, hence one hash chain (docs/audit-log.md).
AUDITLOG_LOGENTRY_MODEL = "audits.AuditEvent"
AUDITLOG_STORE_JSON_CHANGES = True
# PostgreSQL roles: the NOLOGIN owner of the audit tables, the app's login role (SELECT/INSERT only),
# and the retention role that may detach/drop archived month partitions.
AUDIT_DB_OWNER_ROLE = env.str("AUDIT_DB_OWNER_ROLE", default="portalgov_audit_owner")
AUDIT_DB_APP_ROLE = env.str("AUDIT_DB_APP_ROLE", default="portalgov_app")
AUDIT_DB_RETENTION_ROLE = env.str("AUDIT_DB_RETENTION_ROLE", default="portalgov_audit_retention")
AUDIT_LOG_ORIGIN = env.str("AUDIT_LOG_ORIGIN", default="portalgov.audit/default")
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default="")  # base64 Ed25519 seed; keep it off the DB hosts

# --- secrets ----------------------------------------------------------------------------------
# Checked once, here, so every process (gunicorn --preload, Celery worker and beat, manage.py) stops at start
# with one line naming the variable when one is missing or malformed (portalgov/secret_checks.py; the same
# rules run in `manage.py check --deploy`).
stop_on_bad_secrets(secret_key=SECRET_KEY, fernet_keys=FIELD_ENCRYPTION_KEYS, signing_key=AUDIT_SIGNING_KEY,
                    debug=DEBUG)
if not SECRET_KEY:
    # Development only (DEBUG): a fixed key is fine for a local demo, never for production.
    SECRET_KEY = "django-insecure-portalgov-development-only"  # noqa: S105  # nosec B105
if not FIELD_ENCRYPTION_KEYS:
    # Development only (DEBUG): derived from the development SECRET_KEY, so nothing is stored here.
    FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]
FIELD_ENCRYPTION_KEYS = [key.strip() for key in FIELD_ENCRYPTION_KEYS]
AUDIT_SIGNING_KEY_FILE = env.str("AUDIT_SIGNING_KEY_FILE", default=str(VAR_DIR / "audit-signing.key"))
AUDIT_SIGNING_KEY_AUTOCREATE = env.bool("AUDIT_SIGNING_KEY_AUTOCREATE", default=DEBUG)
AUDIT_VERIFY_KEYS = env.list("AUDIT_VERIFY_KEYS", default=[])  # base64 Ed25519 public keys (old keys too)
AUDIT_MAX_UNSEALED_SECONDS = env.int("AUDIT_MAX_UNSEALED_SECONDS", default=15 * 60)
# Test suites only (portalgov/test_settings.py): lets Django's test flush TRUNCATE the audit tables. Never from the
# environment, never decided by a database's name.
AUDIT_ALLOW_TEST_TRUNCATE = False

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    # One error shape for every API answer (integrations/errors.py).
    "EXCEPTION_HANDLER": "integrations.errors.api_exception_handler",
    # Per client address and per credential, kept in the cache (integrations/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttling.ClientAddressThrottle",
                                 "integrations.throttling.CredentialThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_address": env.str("API_RATE_PER_ADDRESS", default="600/min"),
        "api_credential": env.str("API_RATE_PER_CREDENTIAL", default="300/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PortalGov API",
    "DESCRIPTION": "Payer-portal access governance for medical practices.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for people who signed in and for integrations holding a credential.
    "SERVE_AUTHENTICATION": ["integrations.authentication.ApiCredentialAuthentication",
                             "rest_framework.authentication.SessionAuthentication"],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every error answer documented with the one error shape (integrations/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "integrations.schema.document_errors"],
}

# --- logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- PortalGov --------------------------------------------------------------------------------
# The address people use to reach PortalGov, for links in e-mails (reminders, tasks, leavers).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
PORTALGOV_SHARED_DATA_DIR = Path(
    env.str("PORTALGOV_SHARED_DATA_DIR", default=str(BASE_DIR / "carriers" / "reference_data"))
)
