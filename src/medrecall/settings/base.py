"""Base settings.

Everything a deployment changes comes from environment variables:
``DATABASE_URL`` (default: SQLite in ``MEDRECALL_DATA_DIR``), ``REDIS_URL`` (enables the
Redis-backed task queue), ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DEBUG``, ``EMAIL_URL``-style
SMTP settings (``EMAIL_HOST``/``EMAIL_PORT``/...).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from . import secret

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("MEDRECALL_DATA_DIR", PROJECT_DIR / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
# SECRET_KEY from the environment, else the data directory's key file, generated on first run
# (settings/secret.py). DEBUG off (production, and `serve`) refuses the built-in or an empty key.
SECRET_KEY_FILE = Path(os.environ.get("MEDRECALL_SECRET_KEY_FILE") or DATA_DIR / secret.FILE_NAME)
try:
    SECRET_KEY, SECRET_KEY_SOURCE = secret.resolve(os.environ, SECRET_KEY_FILE)
except (OSError, UnicodeError) as _unreadable:
    raise ImproperlyConfigured(
        f"The secret key file {SECRET_KEY_FILE} cannot be read or written: {_unreadable}. "
        "Fix its permissions, or set SECRET_KEY."
    ) from _unreadable
if (SECRET_KEY_PROBLEM := secret.problem(SECRET_KEY, SECRET_KEY_SOURCE)) and not DEBUG:
    raise ImproperlyConfigured(SECRET_KEY_PROBLEM)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    # The admin without discovery at start-up: medrecall/urls.py discovers (web/apps.py).
    "medrecall.web.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "medrecall.core.vendor_apps.BackgroundTasksConfig",  # django_tasks_db, named in Chinese too
    "medrecall.core",
    "medrecall.audit",
    "medrecall.parties",
    "medrecall.catalog",
    "medrecall.accounts",
    "medrecall.traceability",
    "medrecall.recalls",
    "medrecall.notices",
    "medrecall.execution",
    "medrecall.finance",
    "medrecall.intelligence",
    "medrecall.effectiveness",
    "medrecall.quality",
    "medrecall.reporting",
    "medrecall.filings",
    "medrecall.web",
    "medrecall.api",
    "medrecall.cli",
    "medrecall.core.vendor_apps.LoginLockoutsConfig",  # axes, named in Chinese too
]

MIDDLEWARE = [
    # First, so that the response it adds its recounts to is the one the server closes
    # (kept figures whose time slot expired are counted after the response: docs/reporting.md).
    "medrecall.reporting.middleware.RecountAfterResponse",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "medrecall.accounts.middleware.UserLanguageActivationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "medrecall.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the lock-out flag the authentication backend set (docs/security.md).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "medrecall.urls"
WSGI_APPLICATION = "medrecall.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "medrecall.web.context.navigation",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'medrecall.sqlite3'}",
        # Each process keeps its connection for a minute (checked before reuse) instead of
        # connecting on every request: a PostgreSQL connection costs the server a new backend
        # process and this process its set-up (bench/README.md, "CPU per request").
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids
    # "database is locked" upgrades inside write transactions.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "medrecall_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Imports larger than this are refused with a message; huge files go through the CLI.
# Execution: evidence uploads (photos, PDFs) on work orders, urgent transit time, weights.
MEDRECALL_EVIDENCE_MAX_BYTES = int(
    os.environ.get("MEDRECALL_EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024))
)
MEDRECALL_URGENT_MAX_TRANSIT_DAYS = 2
MEDRECALL_RETURN_UNIT_WEIGHT_KG = "0.5"
MEDRECALL_MAX_UPLOAD_BYTES = int(
    os.environ.get("MEDRECALL_MAX_UPLOAD_BYTES", str(512 * 1024 * 1024))
)
# Import limits (docs/imports.md, "Limits"): checked before a file is expanded or read whole.
MEDRECALL_IMPORT_MAX_FILE_BYTES = int(
    os.environ.get("MEDRECALL_IMPORT_MAX_FILE_BYTES", str(4 * 1024**3))
)
MEDRECALL_IMPORT_MAX_DOCUMENT_BYTES = int(
    os.environ.get("MEDRECALL_IMPORT_MAX_DOCUMENT_BYTES", str(256 * 1024**2))
)
MEDRECALL_XLSX_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("MEDRECALL_XLSX_MAX_UNCOMPRESSED_BYTES", str(1024**3))
)
MEDRECALL_XLSX_MAX_RATIO = int(os.environ.get("MEDRECALL_XLSX_MAX_RATIO", "100"))
MEDRECALL_XLSX_MAX_ROWS = int(os.environ.get("MEDRECALL_XLSX_MAX_ROWS", str(1_048_576)))
MEDRECALL_IMPORT_MAX_CELL_CHARS = int(os.environ.get("MEDRECALL_IMPORT_MAX_CELL_CHARS", "10000"))
# openFDA files of at least this size are parsed in a child process while the import writes
# (docs/intelligence.md); smaller ones in the importing process.
MEDRECALL_FDA_IMPORT_PROCESS_BYTES = int(
    os.environ.get("MEDRECALL_FDA_IMPORT_PROCESS_BYTES", str(20 * 1024 * 1024))
)

REDIS_URL = os.environ.get("REDIS_URL", "")
TASK_BACKEND = os.environ.get("MEDRECALL_TASK_BACKEND", "rq" if REDIS_URL else "database")
if TASK_BACKEND == "rq":
    INSTALLED_APPS += [
        "medrecall.core.vendor_rq.RedisTaskQueueConfig"
    ]  # django_rq, named in Chinese
    RQ_QUEUES = {
        "default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 3600}
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Database queue: workers (`medrecall tasks worker`) write a heartbeat this often; a task whose
# worker is gone (its process on this machine, or its heartbeat older than the stale bound) is
# re-queued where safe, at most MEDRECALL_TASK_MAX_RUNS runs in all (core/workers.py).
MEDRECALL_TASK_HEARTBEAT_SECONDS = int(os.environ.get("MEDRECALL_TASK_HEARTBEAT_SECONDS", "30"))
MEDRECALL_TASK_STALE_SECONDS = int(os.environ.get("MEDRECALL_TASK_STALE_SECONDS", "300"))
MEDRECALL_TASK_MAX_RUNS = int(os.environ.get("MEDRECALL_TASK_MAX_RUNS", "3"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "recall@medrecall.local")

# Notices: who sends them, where reply links point, how long they stay valid, how often a
# failed send is retried, and the follow-up schedule per recall class (days: reply due after
# the first notice, 3rd notice after the 2nd, escalation to customer service after the 3rd).
MEDRECALL_COMPANY = {
    "name": os.environ.get("MEDRECALL_COMPANY_NAME", "MedRecall Demo Medical Co., Ltd."),
    "address": os.environ.get("MEDRECALL_COMPANY_ADDRESS", "1 Demo Road, Suzhou, China"),
    "phone": os.environ.get("MEDRECALL_COMPANY_PHONE", "+86 400 000 0000"),
    "email": os.environ.get("MEDRECALL_COMPANY_EMAIL", DEFAULT_FROM_EMAIL),
    # FDA establishment registration number (21 CFR 806.10(c)(1): the 806 report number).
    "fda_registration": os.environ.get("MEDRECALL_COMPANY_FDA_REGISTRATION", ""),
    # EU MDR Art. 31: the manufacturer's single registration number, printed on every field
    # safety notice (Art. 89(8)); an EU notice or FSCA report is refused while it is empty.
    "srn": os.environ.get("MEDRECALL_COMPANY_SRN", ""),
    # The registrant's name and address as registered with NMPA, for Chinese documents.
    "name_zh": os.environ.get("MEDRECALL_COMPANY_NAME_ZH", "MedRecall 演示医疗器械有限公司"),
    "address_zh": os.environ.get("MEDRECALL_COMPANY_ADDRESS_ZH", "中国苏州市演示路1号"),
}
MEDRECALL_BASE_URL = os.environ.get("MEDRECALL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
MEDRECALL_FONT_PATHS = [
    p for p in os.environ.get("MEDRECALL_FONT_PATHS", "/usr/share/fonts").split(os.pathsep) if p
]
MEDRECALL_REPLY_LINK_DAYS = int(os.environ.get("MEDRECALL_REPLY_LINK_DAYS", "120"))
MEDRECALL_SEND_MAX_ATTEMPTS = int(os.environ.get("MEDRECALL_SEND_MAX_ATTEMPTS", "6"))
MEDRECALL_SEND_RETRY_SECONDS = int(os.environ.get("MEDRECALL_SEND_RETRY_SECONDS", "60"))
MEDRECALL_SEND_LEASE_SECONDS = int(os.environ.get("MEDRECALL_SEND_LEASE_SECONDS", "600"))
MEDRECALL_SEND_BATCH = int(os.environ.get("MEDRECALL_SEND_BATCH", "250"))
MEDRECALL_FOLLOW_UP_DAYS = {"I": (2, 2, 1), "II": (5, 4, 2), "III": (10, 7, 3)}
# Event CSVs of at least this size are first tried on the direct load into PostgreSQL
# (traceability/importing/direct.py); one that at least doubles the events table, and has at
# least MEDRECALL_BULK_LOAD_MIN_ROWS rows, builds the table's indexes after the copy and the
# positions in one pass, with this much memory for each sort and hash.
MEDRECALL_DIRECT_LOAD_MIN_BYTES = int(
    os.environ.get("MEDRECALL_DIRECT_LOAD_MIN_BYTES", str(1024 * 1024))
)
MEDRECALL_BULK_LOAD_MIN_ROWS = int(os.environ.get("MEDRECALL_BULK_LOAD_MIN_ROWS", "100000"))
MEDRECALL_BULK_LOAD_MEMORY = os.environ.get(
    "MEDRECALL_BULK_LOAD_MEMORY", "1GB"
)  # PostgreSQL's sorts (server)
# SQLite's page cache while an events file loads: memory of the importing process, which holds
# every page the load writes up to this bound (the import stays under 400 MB at 10M events).
MEDRECALL_SQLITE_LOAD_CACHE = os.environ.get("MEDRECALL_SQLITE_LOAD_CACHE", "128MB")
MEDRECALL_SUB_CONSIGNEE_FILE_BYTES = 2 * 1024 * 1024
# The recall cockpit's figures are kept this long while no audit entry is written (0: never kept).
MEDRECALL_COCKPIT_CACHE_SECONDS = int(os.environ.get("MEDRECALL_COCKPIT_CACHE_SECONDS", "30"))

REST_FRAMEWORK = {
    # Token first: DRF answers 401 with its ``WWW-Authenticate: Token`` header only when the
    # first class has one (session authentication has none, so a bad token got 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["medrecall.api.permissions.ModelPermissions"],
    # JSON only: DRF's browsable pages run inline scripts our Content-Security-Policy refuses,
    # so a browser got a broken page. People read the API at /api/docs/ (the OpenAPI schema).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [  # DRF's three, JSON refusing a document nested too deeply with a 400
        "medrecall.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "medrecall.api.bounds.BoundedFilterBackend",  # django-filter, ids and numbers bounded
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "medrecall.api.pagination.RowPage",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "medrecall.api.schema.ErrorAwareSchema",
    "EXCEPTION_HANDLER": "medrecall.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MedRecall API",
    "DESCRIPTION": "Recall management for medical devices: master data, traceability, recalls.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets used by more than one component keep their stable names (no hashed names).
    "ENUM_NAME_OVERRIDES": {
        "NoticeStatusEnum": "medrecall.notices.models.NoticeStatus",
        "WorkOrderActionEnum": "medrecall.execution.lifecycle.FieldAction",
        "UnitResultEnum": "medrecall.execution.lifecycle.UnitResult",
        "ReturnSourceEnum": "medrecall.execution.models.ReturnAuthorisation.Source",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_403": {"()": "medrecall.core.log_filters.OneLineForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
        # A 403 is one warning line, without the traceback of the refusal.
        "django.request": {"filters": ["one_line_403"]},
    },
}

# Security: sessions, cookies, HTTPS, log-in lock-out, rate limits and the Content-Security-Policy.
# Every value and its reason is in docs/security.md.
#
# Sessions end after MEDRECALL_SESSION_IDLE_MINUTES without a request (idle log-off) and at the
# latest MEDRECALL_SESSION_MAX_HOURS after log-in (a working day), whatever the activity
# (accounts.middleware.SessionTimeoutMiddleware); the browser forgets the cookie when it closes.
MEDRECALL_SESSION_IDLE_MINUTES = int(os.environ.get("MEDRECALL_SESSION_IDLE_MINUTES", "30"))
MEDRECALL_SESSION_MAX_HOURS = int(os.environ.get("MEDRECALL_SESSION_MAX_HOURS", "8"))
SESSION_COOKIE_AGE = MEDRECALL_SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# MEDRECALL_HTTPS=1 declares that users reach the site over HTTPS only: Secure cookies, HSTS,
# and a redirect of plain HTTP. Behind a reverse proxy that terminates TLS, also set
# MEDRECALL_PROXY_SSL_HEADER=1 so that Django trusts the proxy's X-Forwarded-Proto (only when
# the proxy always sets or strips that header), and MEDRECALL_PROXY_COUNT to the number of proxies
# in front (the client address for lock-out and rate limits is then taken from X-Forwarded-For).
MEDRECALL_HTTPS = env_bool("MEDRECALL_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", MEDRECALL_HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SESSION_COOKIE_SECURE)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", MEDRECALL_HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", "31536000" if MEDRECALL_HTTPS else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
if env_bool("MEDRECALL_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
MEDRECALL_PROXY_COUNT = int(os.environ.get("MEDRECALL_PROXY_COUNT", "0"))
SECURE_CONTENT_TYPE_NOSNIFF = True
# Reply links carry their token in the path: never send it to another site as a referrer.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# One cache shared by every process (web, workers): Redis when REDIS_URL is set, else files in
# the data directory. Rate limits count in it; a multi-host deployment must set REDIS_URL.
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "medrecall",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# Log-in lock-out (django-axes): MEDRECALL_LOGIN_FAILURE_LIMIT wrong passwords in a row for one
# user name from one client address lock that combination for MEDRECALL_LOGIN_COOLOFF_MINUTES
# (0: until an administrator unlocks it). Lock-outs and unlocks are audited (accounts/lockout.py).
AUTHENTICATION_BACKENDS = [
    "medrecall.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
MEDRECALL_LOGIN_FAILURE_LIMIT = int(os.environ.get("MEDRECALL_LOGIN_FAILURE_LIMIT", "5"))
MEDRECALL_LOGIN_COOLOFF_MINUTES = int(os.environ.get("MEDRECALL_LOGIN_COOLOFF_MINUTES", "30"))
AXES_FAILURE_LIMIT = MEDRECALL_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = (
    timedelta(minutes=MEDRECALL_LOGIN_COOLOFF_MINUTES)
    if MEDRECALL_LOGIN_COOLOFF_MINUTES > 0
    else None
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "medrecall.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "medrecall.accounts.lockout.client_address"
AXES_ENABLE_ADMIN = False  # read-only in accounts/admin.py: unlocking is audited
AXES_VERBOSE = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True

# Reply links (no log-in): requests per link and per client address, over GET and POST, in
# django-ratelimit's "count/period" form (s, m, h, d; e.g. "60/10m").
MEDRECALL_REPLY_RATE_PER_LINK = os.environ.get("MEDRECALL_REPLY_RATE_PER_LINK", "60/10m")
MEDRECALL_REPLY_RATE_PER_ADDRESS = os.environ.get("MEDRECALL_REPLY_RATE_PER_ADDRESS", "300/10m")
RATELIMIT_IP_META_KEY = "medrecall.accounts.lockout.client_address"

# Content-Security-Policy (django-csp 4): only our own scripts and styles; the few inline
# <script>/<style> blocks carry the per-request nonce ({{ request.csp_nonce }}).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The audit chain's HMAC key and the checkpoints that anchor its head live outside the
# database (docs/audit.md). Unset key: generated once into DATA_DIR/audit.key.
MEDRECALL_AUDIT_KEY = os.environ.get("MEDRECALL_AUDIT_KEY", "")
MEDRECALL_AUDIT_KEY_FILE = os.environ.get("MEDRECALL_AUDIT_KEY_FILE", str(DATA_DIR / "audit.key"))
MEDRECALL_AUDIT_CHECKPOINT_FILE = os.environ.get(
    "MEDRECALL_AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit-checkpoints.jsonl")
)
MEDRECALL_AUDIT_CHECKPOINT_EVERY = int(os.environ.get("MEDRECALL_AUDIT_CHECKPOINT_EVERY", "1000"))
MEDRECALL_AUDIT_CHECKPOINT_SECONDS = int(
    os.environ.get("MEDRECALL_AUDIT_CHECKPOINT_SECONDS", "3600")
)
