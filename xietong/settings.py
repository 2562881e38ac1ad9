"""Xietong settings, read from environment variables (see .env.example).

Importing them does no I/O beyond reading: no directory is made and no file written. The data
directory and the generated secret key are prepared by the entry points (xietong/cli.py,
xietong/core/files.py prepare_data_dir). A bad value raises ImproperlyConfigured naming its
variable.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from xietong.core import files
from xietong.core.env import env_bool, env_int, env_list, env_secret

BASE_DIR = Path(__file__).resolve().parent
# The database, the task queue, keys and uploads live here: the service's user alone reads it.
VAR_DIR = files.var_dir()


DEBUG = env_bool("XIETONG_DEBUG", False)
# Production sets XIETONG_SECRET_KEY (or _FILE). A local installation without one gets a stable
# per-installation key, so sessions survive restarts: $XIETONG_VAR_DIR/secret_key, made by the
# entry point before the settings are read. Neither there: empty, which Django refuses on use.
SECRET_KEY = env_secret("XIETONG_SECRET_KEY") or files.local_secret_key()

ALLOWED_HOSTS = env_list("XIETONG_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("XIETONG_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("XIETONG_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "csp",
    "huey.contrib.djhuey",
    "channels",
    "xietong.core",
    "xietong.org",
    "xietong.policy",
    "xietong.obligations",
    "xietong.meetings",
    "xietong.topics",
    "xietong.agenda",
    "xietong.records",
    "xietong.actions",
    "xietong.minutes",
    "xietong.live",
    "xietong.approvals",
    "xietong.requests",
    "xietong.notify",
    "xietong.desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "xietong.core.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything that reads the body (CSRF reads request.POST); after the language is chosen.
    "xietong.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "xietong.core.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",
    "xietong.core.middleware.SessionIdleMiddleware",
    "xietong.core.middleware.ContentSecurityPolicyMiddleware",
    "xietong.core.middleware.PermissionsPolicyMiddleware",
]

ROOT_URLCONF = "xietong.urls"
WSGI_APPLICATION = "xietong.wsgi.application"
# The ASGI application carries only the live room's WebSockets; pages stay on WSGI.
ASGI_APPLICATION = "xietong.asgi.application"

TEMPLATES = [
    {
        # Product pages render with Jinja2 (core/jinja.py holds the environment).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "xietong.core.jinja.environment",
            # The navigation's entries for the person (worked out only when the frame renders).
            "context_processors": ["xietong.desk.navigation.navigation"],
            "extensions": ["jinja2.ext.i18n"],
            "autoescape": True,
        },
    },
    {
        # Django admin and form widgets.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.DjangoTemplates"

DATABASE_URL = env_secret("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {
            "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("XIETONG_CONN_MAX_AGE", 60))
        }
    except ValueError as exc:  # the message names the scheme, never the password
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from exc
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("XIETONG_SQLITE_PATH", str(VAR_DIR / "xietong.sqlite3")),
            "CONN_MAX_AGE": env_int("XIETONG_CONN_MAX_AGE", 60),
            "OPTIONS": {
                # Writers take the lock at BEGIN, so two concurrent writers queue on the
                # busy timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": os.environ.get("XIETONG_SQLITE_TEST_PATH") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.Person"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Password reset and first-login activation (xietong/org/accounts.py): a reset link lives
# XIETONG_PASSWORD_RESET_MINUTES, an activation link (people imported from a roster)
# XIETONG_ACTIVATION_DAYS; both die once the password is set. Reset requests are counted per
# e-mail address and per client address over XIETONG_PASSWORD_RESET_WINDOW_MINUTES, in the
# "accounts" cache (a database table, so every page process and machine shares the counts).
PASSWORD_RESET_TIMEOUT = env_int("XIETONG_PASSWORD_RESET_MINUTES", 60) * 60
ACTIVATION_TIMEOUT = env_int("XIETONG_ACTIVATION_DAYS", 7) * 24 * 60 * 60
PASSWORD_RESET_ADDRESS_LIMIT = env_int("XIETONG_PASSWORD_RESET_ADDRESS_LIMIT", 3)
PASSWORD_RESET_CLIENT_LIMIT = env_int("XIETONG_PASSWORD_RESET_CLIENT_LIMIT", 10)
PASSWORD_RESET_WINDOW_SECONDS = env_int("XIETONG_PASSWORD_RESET_WINDOW_MINUTES", 60) * 60
if min(PASSWORD_RESET_TIMEOUT, ACTIVATION_TIMEOUT, PASSWORD_RESET_WINDOW_SECONDS) < 60:
    raise ImproperlyConfigured(
        "XIETONG_PASSWORD_RESET_MINUTES, XIETONG_ACTIVATION_DAYS and "
        "XIETONG_PASSWORD_RESET_WINDOW_MINUTES must be positive"
    )
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The table is made by the migration core 0005 (and by Django for test databases).
    "accounts": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "xietong_accounts_cache",
        "TIMEOUT": PASSWORD_RESET_WINDOW_SECONDS,
    },
}

# Login throttling (xietong/core/throttle.py; engineering limits, not regulation): free failures
# per account and client address, per address over any user names, and per account over all
# addresses; past each, the next attempt waits LOGIN_DELAY_SECONDS doubling per failure, capped.
LOGIN_FAILURE_LIMIT = env_int("XIETONG_LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("XIETONG_LOGIN_ADDRESS_FAILURE_LIMIT", 10)
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("XIETONG_LOGIN_ACCOUNT_FAILURE_LIMIT", 50)
LOGIN_DELAY_SECONDS = env_int("XIETONG_LOGIN_DELAY_SECONDS", 5)
LOGIN_DELAY_CAP_SECONDS = env_int("XIETONG_LOGIN_DELAY_CAP_SECONDS", 900)
LOGIN_ACCOUNT_DELAY_CAP_SECONDS = env_int("XIETONG_LOGIN_ACCOUNT_DELAY_CAP_SECONDS", 60)
# The client address behind a reverse proxy: the header the proxy sets, and either the number of
# proxies in front of Xietong or their addresses/networks. Unset: REMOTE_ADDR.
TRUSTED_PROXY_HEADER = os.environ.get("XIETONG_TRUSTED_PROXY_HEADER", "").strip()
TRUSTED_PROXIES = os.environ.get("XIETONG_TRUSTED_PROXIES", "").strip()
if TRUSTED_PROXIES and not TRUSTED_PROXIES.isdigit():
    for _proxy in TRUSTED_PROXIES.split(","):
        try:
            ipaddress.ip_network(_proxy.strip(), strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"XIETONG_TRUSTED_PROXIES must be a number or addresses, got {TRUSTED_PROXIES!r}"
            ) from exc
AXES_HANDLER = "xietong.core.throttle.ThrottlingHandler"
AXES_CLIENT_IP_CALLABLE = "xietong.core.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "xietong.core.throttle.lockout_response"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCK_OUT_AT_FAILURE = False  # the handler decides (delays, not axes' single limit)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused tries neither count nor extend
AXES_COOLOFF_TIME = timedelta(seconds=2 * max(LOGIN_DELAY_CAP_SECONDS, LOGIN_ACCOUNT_DELAY_CAP_SECONDS))
# What a successful login clears: that account's failures from that address only.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# 12 h from the first request at most, and logged out after XIETONG_SESSION_IDLE_MINUTES without
# one (xietong/core/middleware.py SessionIdleMiddleware); the cookie ends with the browser (shared
# office PCs). The last activity is written at most once per SESSION_ACTIVITY_WRITE_SECONDS.
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_IDLE_SECONDS = env_int("XIETONG_SESSION_IDLE_MINUTES", 30) * 60
SESSION_ACTIVITY_WRITE_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = env_bool("XIETONG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# A form without its valid token: the error page in the product's frame, not Django's own.
CSRF_FAILURE_VIEW = "xietong.core.error_pages.csrf_failure"
X_FRAME_OPTIONS = "DENY"

# HTTPS (production: see the block at the end of .env.example). Behind a TLS-terminating proxy,
# XIETONG_PROXY_SSL_HEADER names the header it sets to "https" (e.g. X-Forwarded-Proto), so
# request.is_secure() and build_absolute_uri (QR sign-in, projector links) say https.
SECURE_HSTS_SECONDS = env_int("XIETONG_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("XIETONG_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("XIETONG_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("XIETONG_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the service manager's probe on the plain local port
_proxy_ssl_header = os.environ.get("XIETONG_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
# Content-Security-Policy (django-csp): scripts, styles and connections from this site only, no
# inline script or style; the live room's WebSocket origin is added per page
# (xietong/core/middleware.py ContentSecurityPolicyMiddleware); QR codes may be data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page uses (the QR sign-in is scanned by the phone's own camera app).
PERMISSIONS_POLICY = {
    feature: "()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "display-capture",
    )
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = files.static_root()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded files and their directories are private to the service's user.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Encryption of data at rest (robot addresses and secrets; xietong/core/crypto.py): Fernet keys,
# the first encrypts, all decrypt. Unset: a key derived from SECRET_KEY (local trials only).
DATA_KEYS = env_list("XIETONG_DATA_KEY", [])
# XIETONG_DATA_KEY_FILE is read when a key is first needed (xietong/core/crypto.py).
DATA_KEY_FILE = os.environ.get("XIETONG_DATA_KEY_FILE", "")
if DATA_KEYS and DATA_KEY_FILE:
    raise ImproperlyConfigured("Set XIETONG_DATA_KEY or XIETONG_DATA_KEY_FILE, not both")
# Topic materials (议题资料): engineering limits, not regulation.
TOPIC_ATTACHMENT_MAX_BYTES = env_int("XIETONG_TOPIC_ATTACHMENT_MAX_MB", 20) * 1024 * 1024
TOPIC_ATTACHMENT_MAX_COUNT = env_int("XIETONG_TOPIC_ATTACHMENT_MAX_COUNT", 20)
TOPIC_ATTACHMENT_EXTENSIONS = env_list(
    "XIETONG_TOPIC_ATTACHMENT_EXTENSIONS",
    [".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".et", ".dps"]
    + [".txt", ".png", ".jpg", ".zip"],
)
# Request bodies: a request declaring more than XIETONG_MAX_REQUEST_MB (default: the largest
# topic file plus 5 MB for the form around it) is answered 413 before its body is read
# (xietong.core.middleware.RequestSizeLimitMiddleware); gunicorn itself sets no body limit.
# Django's own caps stay at their defaults: 2.5 MB of form fields besides files
# (DATA_UPLOAD_MAX_MEMORY_SIZE), files above 2.5 MB spooled to a temporary file
# (FILE_UPLOAD_MAX_MEMORY_SIZE), at most 1,000 fields and 100 files.
MAX_REQUEST_BYTES = env_int("XIETONG_MAX_REQUEST_MB", TOPIC_ATTACHMENT_MAX_BYTES // 1048576 + 5) * 1024 * 1024
if MAX_REQUEST_BYTES < TOPIC_ATTACHMENT_MAX_BYTES:
    raise ImproperlyConfigured(
        "XIETONG_MAX_REQUEST_MB must be at least XIETONG_TOPIC_ATTACHMENT_MAX_MB "
        f"({TOPIC_ATTACHMENT_MAX_BYTES // 1048576}), or no topic file of the largest size could be uploaded"
    )

# Default: one line per message on the console, never its body (links in notices sign people
# in); XIETONG_EMAIL_CONSOLE_BODIES=true prints the whole message (local debugging only).
EMAIL_BACKEND = os.environ.get("XIETONG_EMAIL_BACKEND", "xietong.core.mail.ConsoleSummaryBackend")
EMAIL_CONSOLE_BODIES = env_bool("XIETONG_EMAIL_CONSOLE_BODIES", False)
DEFAULT_FROM_EMAIL = os.environ.get("XIETONG_FROM_EMAIL", "xietong@localhost")
# SMTP (used when XIETONG_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = os.environ.get("XIETONG_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("XIETONG_SMTP_PORT", 25)
EMAIL_HOST_USER = os.environ.get("XIETONG_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_secret("XIETONG_SMTP_PASSWORD")
EMAIL_USE_TLS = env_bool("XIETONG_SMTP_TLS", False)
EMAIL_TIMEOUT = env_int("XIETONG_SMTP_TIMEOUT", 20)

# Notification delivery (engineering settings, not regulation): retries back off
# exponentially with full jitter, capped, and a delivery goes to the dead-letter list after
# NOTIFY_MAX_ATTEMPTS; a worker's claim on a row lapses after NOTIFY_LEASE_SECONDS so rows
# of a killed worker are retried. Robot webhooks must be https on the vendor's host unless
# the host is listed in XIETONG_NOTIFY_TEST_HOSTS (local test receivers only).
NOTIFY_MAX_ATTEMPTS = env_int("XIETONG_NOTIFY_MAX_ATTEMPTS", 10)
NOTIFY_RETRY_BASE_SECONDS = env_int("XIETONG_NOTIFY_RETRY_BASE_SECONDS", 30)
NOTIFY_RETRY_CAP_SECONDS = env_int("XIETONG_NOTIFY_RETRY_CAP_SECONDS", 3600)
NOTIFY_LEASE_SECONDS = env_int("XIETONG_NOTIFY_LEASE_SECONDS", 300)
NOTIFY_HTTP_TIMEOUT_SECONDS = env_int("XIETONG_NOTIFY_HTTP_TIMEOUT", 10)
NOTIFY_DIGEST_HOUR = env_int("XIETONG_NOTIFY_DIGEST_HOUR", 8)
NOTIFY_TEST_HOSTS = env_list("XIETONG_NOTIFY_TEST_HOSTS", [])

# Task queue: SQLite-backed by default (no services needed); Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Keys of this installation in a Redis that others may share (task queue and live room groups).
REDIS_PREFIX = os.environ.get("XIETONG_REDIS_PREFIX", "xietong")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # The test suite's parallel processes share one Redis: each keeps its own queue and locks.
    REDIS_PREFIX = f"{REDIS_PREFIX}-{os.environ['PYTEST_XDIST_WORKER']}"
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": REDIS_PREFIX,
        "url": REDIS_URL,
        "immediate": env_bool("XIETONG_HUEY_IMMEDIATE", False),
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "xietong",
        "filename": str(VAR_DIR / "tasks.sqlite3"),
        "immediate": env_bool("XIETONG_HUEY_IMMEDIATE", False),
    }

# Periodic jobs and worker health (engineering settings, not regulation). A job's lease lapses
# after TASK_LEASE_SECONDS unless its worker renews it, so a killed worker never blocks later
# runs; a notification run works at most NOTIFY_RUN_SECONDS, well inside the graceful stop of
# `xietong serve` (XIETONG_STOP_TIMEOUT); committed events queue a run at once unless
# XIETONG_NOTIFY_ENQUEUE_ON_COMMIT is off (the minute tick still delivers). The admins
# (XIETONG_ADMINS, comma-separated e-mail addresses) get an e-mail when the ledger tick or the
# delivery run has not completed for HEALTH_STALE_MINUTES.
TASK_LEASE_SECONDS = env_int("XIETONG_TASK_LEASE_SECONDS", 120)
NOTIFY_RUN_SECONDS = env_int("XIETONG_NOTIFY_RUN_SECONDS", 10)
NOTIFY_ENQUEUE_ON_COMMIT = env_bool("XIETONG_NOTIFY_ENQUEUE_ON_COMMIT", True)
HEALTH_STALE_MINUTES = env_int("XIETONG_HEALTH_STALE_MINUTES", 10)
if NOTIFY_RUN_SECONDS < 1 or TASK_LEASE_SECONDS <= NOTIFY_RUN_SECONDS + NOTIFY_HTTP_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        "XIETONG_TASK_LEASE_SECONDS must exceed XIETONG_NOTIFY_RUN_SECONDS (at least 1) plus "
        "XIETONG_NOTIFY_HTTP_TIMEOUT"
    )
if HEALTH_STALE_MINUTES < 1:
    raise ImproperlyConfigured("XIETONG_HEALTH_STALE_MINUTES must be at least 1")
ADMINS = [("", address) for address in env_list("XIETONG_ADMINS", [])]
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Live room fan-out: in-memory by default (one live process), Redis when REDIS_URL is set.
if REDIS_URL:
    from xietong.live.layers import redis_layer  # timeouts and pool size: see there

    CHANNEL_LAYERS = {"default": redis_layer(REDIS_URL, prefix=f"{REDIS_PREFIX}-live")}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Where pages open the live room's WebSocket: empty = same host as the page, port of
# XIETONG_LIVE_BIND (``xietong serve`` runs uvicorn there); set e.g. wss://live.example.org
# behind a proxy.
LIVE_BIND = os.environ.get("XIETONG_LIVE_BIND", "127.0.0.1:8001")
LIVE_WS_URL = os.environ.get("XIETONG_LIVE_WS_URL", "").rstrip("/")
# Live room WebSocket hygiene (engineering limits): a connection sending more than
# LIVE_MALFORMED_LIMIT malformed messages within LIVE_MALFORMED_WINDOW_SECONDS is closed;
# each burst is logged once, not once per message.
LIVE_MALFORMED_LIMIT = env_int("XIETONG_LIVE_MALFORMED_LIMIT", 20)
LIVE_MALFORMED_WINDOW_SECONDS = env_int("XIETONG_LIVE_MALFORMED_WINDOW", 10)

# The level applies to the handler too: records of loggers with their own level (Django's
# "django" logger is at INFO) reach the root's handler without passing the root's level.
_LOG_LEVEL = os.environ.get("XIETONG_LOG_LEVEL", "WARNING").upper()
if _LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"XIETONG_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {_LOG_LEVEL!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback_below_error": {"()": "xietong.core.logs.NoTracebackBelowError"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "level": _LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
    "loggers": {
        # A refused request (403, 404, 405) is routine: one line, no traceback; 5xx keep theirs.
        "django.request": {"filters": ["no_traceback_below_error"]},
    },
}
