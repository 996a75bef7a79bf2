"""Carnet settings, read from environment variables (12-factor).

Every variable is documented in docs/configuration.md. Embedded defaults are safe for a
single-machine demo: SQLite in ``CARNET_DATA_DIR``, secrets generated once into that folder
(never committed), inline background work and a local e-mail/SMS outbox.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from carnet.config.datadir import resolve_data_dir

SRC_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


DATA_DIR = resolve_data_dir(env("CARNET_DATA_DIR"), Path.cwd())
if not DATA_DIR.exists():
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    print(f"Carnet: new data directory {DATA_DIR} (new keys are generated in it)", file=sys.stderr)


def _local_secret(filename: str, factory: str) -> str:
    """Embedded mode only: a secret generated once and kept in DATA_DIR (mode 0600)."""
    path = DATA_DIR / filename
    if not path.exists():
        path.write_text(factory)
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("CARNET_DEBUG", False)
SECRET_KEY = env("CARNET_SECRET_KEY") or _local_secret("secret_key", secrets.token_urlsafe(50))
# Master key wrapping the per-patient data keys (ARCHITECTURE invariant 4): 32 bytes, urlsafe base64.
CARNET_MASTER_KEY = env("CARNET_MASTER_KEY") or _local_secret(
    "master_key", __import__("base64").urlsafe_b64encode(secrets.token_bytes(32)).decode()
)
# Ed25519 seed of the transparency log: signs entry timestamps, leaf indexes and tree heads (32 bytes, urlsafe base64).
CARNET_AUDIT_SIGNING_KEY = env("CARNET_AUDIT_SIGNING_KEY") or _local_secret(
    "audit_signing_key", __import__("base64").urlsafe_b64encode(secrets.token_bytes(32)).decode()
)
# Web Push (VAPID, RFC 8292): the P-256 private key that signs this server's push requests (32-byte raw
# scalar, urlsafe base64); its public key is the applicationServerKey browsers subscribe with.
CARNET_VAPID_PRIVATE_KEY = env("CARNET_VAPID_PRIVATE_KEY") or _local_secret(
    "vapid_private_key",
    __import__("carnet.notifications.vapid", fromlist=["x"]).new_private_key(),
)
# The transparency log (ADR 0007): its name in signed heads, its witnesses, its daily self-check.
CARNET_AUDIT_LOG_ORIGIN = env("CARNET_AUDIT_LOG_ORIGIN")
CARNET_AUDIT_WITNESS_URL = env("CARNET_AUDIT_WITNESS_URL")
CARNET_AUDIT_WITNESS_PUBLIC_KEY = env("CARNET_AUDIT_WITNESS_PUBLIC_KEY")
CARNET_AUDIT_WITNESS_FILE = env("CARNET_AUDIT_WITNESS_FILE")
CARNET_AUDIT_CHECK_INTERVAL_HOURS = float(env("CARNET_AUDIT_CHECK_INTERVAL_HOURS", "24"))

ALLOWED_HOSTS = [h for h in env("CARNET_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CARNET_CSRF_TRUSTED_ORIGINS").split(",") if o]
CARNET_DEMO = env_bool("CARNET_DEMO", False)
CARNET_BASE_URL = env("CARNET_BASE_URL", "http://127.0.0.1:8000")
# Who runs this deployment, for the legal pages ("Mentions légales", "Données personnelles"): the operator
# (publisher and data controller), its address, the director of publication, the host and the data
# protection officer's contact. Empty: the pages say that no operator is named (a demonstration).
CARNET_OPERATOR_NAME = env("CARNET_OPERATOR_NAME")
CARNET_OPERATOR_ADDRESS = env("CARNET_OPERATOR_ADDRESS")
CARNET_PUBLICATION_DIRECTOR = env("CARNET_PUBLICATION_DIRECTOR")
CARNET_HOSTING = env("CARNET_HOSTING")
CARNET_DPO_CONTACT = env("CARNET_DPO_CONTACT")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "dsfr",
    "carnet.common",
    "carnet.identity",
    "carnet.accounts",
    "carnet.audit",
    "carnet.notifications",
    "carnet.records",
    "carnet.access",
    "carnet.spaces",
    "carnet.backoffice",
    "carnet.api",
    "carnet.messaging",
    "carnet.profile",
    "carnet.profile.vitals",
    "carnet.agenda",
    "carnet.pwa",
    "carnet.history",
    "carnet.demo",
    "carnet.config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "carnet.common.middleware.SecurityHeadersMiddleware",
    "carnet.common.unavailable.DatabaseUnavailableMiddleware",  # database down or read-only: 503
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "carnet.accounts.middleware.AuthenticationMiddleware",
    "carnet.accounts.middleware.DeviceMiddleware",
    "carnet.pwa.middleware.DeviceEndMiddleware",  # a logged-out or revoked device clears its offline copy
    "carnet.vault.keyring.KeyScopeMiddleware",  # unwrapped patient keys live one request (ADR 0008)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "carnet.config.urls"
WSGI_APPLICATION = "carnet.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carnet.common.context_processors.carnet",
                "carnet.pwa.context_processors.app",
                "carnet.notifications.context_processors.notifications",
            ],
            # Dates as people read them, on every page: {{ value|day }}, {{ value|moment }}… (carnet.common.dates)
            # and roles that agree with the person: {{ kind|role_label:person.sex }} (carnet_words)
            "builtins": [
                "carnet.common.templatetags.carnet_dates",
                "carnet.common.templatetags.carnet_words",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("CARNET_DATABASE_URL") or env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'carnet.sqlite3'}",
        conn_max_age=env_int("CARNET_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool("CARNET_DB_SERVER_SIDE_BINDING", True):
    # psycopg binds parameters on the server and prepares a statement after `prepare_threshold`
    # executions on one connection: PostgreSQL then skips parsing and planning the hot statements
    # (bench/README.md). Django turns preparation off unless prepare_threshold is given (it breaks
    # transaction-mode connection poolers such as PgBouncer < 1.21), so it is set here explicitly.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": env_int("CARNET_DB_PREPARE_THRESHOLD", 5)}
    )
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A server that accepts the connection and never answers must not hang requests (libpq waits forever
    # by default): the request fails after this many seconds and answers 503 (carnet.common.unavailable).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("CARNET_DB_CONNECT_TIMEOUT", 5)
    )
# Database down or read-only: 503 with this Retry-After (seconds), JSON / OperationOutcome / a static page.
CARNET_RETRY_AFTER_SECONDS = env_int("CARNET_RETRY_AFTER_SECONDS", 30)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            # Deleted rows are overwritten with zeros in the file, not left in free space (ADR 0008).
            "init_command": "PRAGMA secure_delete = ON;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# ModelBackend with the per-request user load in one statement (user + person + professional + qualification).
AUTHENTICATION_BACKENDS = ["carnet.accounts.backends.AccountBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "spaces:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "carnet.accounts.validators.CarnetPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Sessions: short, browser-bound, HttpOnly, SameSite=Lax; Secure when served over TLS.
SESSION_COOKIE_AGE = env_int("CARNET_SESSION_SECONDS", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Idle expiry without a session write per request: accounts.middleware.DeviceMiddleware re-saves an
# authenticated session (pushing its expiry SESSION_COOKIE_AGE ahead) at most once a minute, so a
# session ends 29-30 minutes after its last request, never later.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE = env_bool("CARNET_SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
# Over TLS the cookies carry the __Host- prefix: browsers then accept them only Secure, with Path=/ and no
# Domain, so a sibling subdomain or a plain-HTTP response cannot plant or overwrite them.
SESSION_COOKIE_NAME = "__Host-sessionid" if SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SECURE else "csrftoken"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 63072000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
# Dates people read; English date fields day-first (carnet/formats, docs/subsystems/i18n.md)
FORMAT_MODULE_PATH = ["carnet.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [SRC_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# A silent Redis must not hang requests: each call gives up after CARNET_CACHE_TIMEOUT_SECONDS, and the
# process then leaves the cache alone for CARNET_CACHE_RETRY_SECONDS (carnet.common.cache: sessions are
# read from the database, throttles count in the "database" cache below).
CARNET_CACHE_TIMEOUT_SECONDS = float(env("CARNET_CACHE_TIMEOUT_SECONDS", "0.5"))
CARNET_CACHE_RETRY_SECONDS = float(env("CARNET_CACHE_RETRY_SECONDS", "30"))
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("CARNET_CACHE_URL"),
            "OPTIONS": {
                "socket_connect_timeout": CARNET_CACHE_TIMEOUT_SECONDS,
                "socket_timeout": CARNET_CACHE_TIMEOUT_SECONDS,
            },
        }
        if env("CARNET_CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "carnet"}
    ),
    # Throttle counters while "default" is unreachable (table made by common's migration). Culling
    # would let a flood of keys evict a counter: keep it for far more keys than an outage sees.
    "database": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "carnet_cache_fallback",
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    },
}
# Sessions are read on every request. With a cache shared by every process (CARNET_CACHE_URL, Redis) they
# are read from it and written through to the database (``cached_db``: a cache flush only costs re-reads);
# a logout or a revoked device deletes both. With the per-process default cache a logout in one process
# would not reach the others, so the database alone is used.
SESSION_ENGINE = env(
    "CARNET_SESSION_ENGINE",
    "carnet.accounts.sessions.cached_db" if env("CARNET_CACHE_URL") else "carnet.accounts.sessions.db",
)

# E-mail: the embedded default writes into the local outbox (shown on /demo/outbox/ when CARNET_DEMO=1).
EMAIL_BACKEND = env("CARNET_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
EMAIL_HOST = env("CARNET_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("CARNET_EMAIL_PORT", 25)
# Every outgoing connection is bounded (docs/subsystems/notifications.md "Under faults"): seconds per
# socket operation of an SMTP session (connect, each command), and of an SMS gateway's calls.
EMAIL_TIMEOUT = float(env("CARNET_EMAIL_TIMEOUT", "10"))
CARNET_SMS_TIMEOUT = float(env("CARNET_SMS_TIMEOUT", "10"))
# After a channel could not be reached, web requests of this process leave its messages to the worker
# for this long instead of waiting for it again.
CARNET_CHANNEL_COOLDOWN_SECONDS = env_int("CARNET_CHANNEL_COOLDOWN_SECONDS", 60)
DEFAULT_FROM_EMAIL = env("CARNET_FROM_EMAIL", "ne-pas-repondre@carnet.invalid")
# Web Push (docs/subsystems/push.md): the VAPID contact (a mailto: or https: URL the push services may use
# to reach the operator), the push services' hosts an endpoint may name (https only; shell patterns), and
# the seconds one push request may take.
CARNET_VAPID_SUBJECT = env("CARNET_VAPID_SUBJECT", "mailto:" + DEFAULT_FROM_EMAIL)
CARNET_PUSH_SERVICES = [
    h.strip()
    for h in env(
        "CARNET_PUSH_SERVICES",
        "fcm.googleapis.com,updates.push.services.mozilla.com,*.push.services.mozilla.com,"
        "*.notify.windows.com,web.push.apple.com,*.push.apple.com",
    ).split(",")
    if h.strip()
]
CARNET_PUSH_TIMEOUT = float(env("CARNET_PUSH_TIMEOUT", "10"))
CARNET_PUSH_TTL_SECONDS = env_int("CARNET_PUSH_TTL_SECONDS", 86400)
# Keep a copy of what local channels "sent" (the demo's mailbox). Never enable with real SMTP/SMS.
# Demo: e-mails written as files into this folder (Django's file-based backend) when set.
CARNET_EMAIL_FILE_PATH = env("CARNET_EMAIL_FILE_PATH")
if CARNET_EMAIL_FILE_PATH:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = CARNET_EMAIL_FILE_PATH
CARNET_LOCAL_OUTBOX = env_bool(
    "CARNET_LOCAL_OUTBOX",
    EMAIL_BACKEND.endswith(("locmem.EmailBackend", "dummy.EmailBackend")) or bool(CARNET_EMAIL_FILE_PATH),
)
# Outbox delivery (invariant 5): retries with exponential backoff, then FAILED; a claim lease stops two
# workers from sending the same message.
CARNET_OUTBOX_MAX_ATTEMPTS = env_int("CARNET_OUTBOX_MAX_ATTEMPTS", 8)
CARNET_OUTBOX_BACKOFF_SECONDS = env_int("CARNET_OUTBOX_BACKOFF_SECONDS", 60)
CARNET_OUTBOX_BACKOFF_MAX_SECONDS = env_int("CARNET_OUTBOX_BACKOFF_MAX_SECONDS", 6 * 3600)
CARNET_OUTBOX_LEASE_SECONDS = env_int("CARNET_OUTBOX_LEASE_SECONDS", 300)
# A worker cycle's delivery run starts no new message after this many seconds (the cycle's other jobs wait).
CARNET_OUTBOX_RUN_SECONDS = env_int("CARNET_OUTBOX_RUN_SECONDS", 30)
CARNET_SMS_BACKEND = env("CARNET_SMS_BACKEND", "carnet.notifications.channels.LocalOutboxSms")

# Background work (ARCHITECTURE "two ways to run"): "inline" runs tasks in-process after commit;
# "celery" sends them to Celery workers on CARNET_BROKER_URL (Redis or RabbitMQ).
CARNET_TASK_BACKEND = env("CARNET_TASK_BACKEND", "inline")
CELERY_BROKER_URL = env("CARNET_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ACKS_LATE = True
# A request hands its tasks to the broker after commit: bounded, so a silent broker cannot hang it (the
# work stays in the database for the worker; docs/subsystems/notifications.md "Under faults").
CARNET_BROKER_TIMEOUT = float(env("CARNET_BROKER_TIMEOUT", "5"))
CELERY_BROKER_CONNECTION_TIMEOUT = CARNET_BROKER_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": CARNET_BROKER_TIMEOUT,
    "socket_connect_timeout": CARNET_BROKER_TIMEOUT,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}

# Lifecycle durations (SPEC §1). [V] rules are fixed by law but kept here so tests can read them;
# [I] rules are our defaults and documented as such in docs/configuration.md.
CARNET_OPPOSITION_WINDOW_DAYS = env_int("CARNET_OPPOSITION_WINDOW_DAYS", 42)  # R-LC-3
CARNET_PROVISIONAL_CODE_DAYS = env_int("CARNET_PROVISIONAL_CODE_DAYS", 42)  # R-LC-4
CARNET_DELETION_DELAY_DAYS = env_int("CARNET_DELETION_DELAY_DAYS", 90)  # R-LC-22 (≤ 3 months)
CARNET_ARCHIVE_YEARS = env_int("CARNET_ARCHIVE_YEARS", 10)  # R-LC-21
CARNET_ERASURE_NOTICE_DAYS = env_int("CARNET_ERASURE_NOTICE_DAYS", 30)  # ADR 0008: certificate delivery
CARNET_SUSPENSION_OBJECTION_DAYS = env_int("CARNET_SUSPENSION_OBJECTION_DAYS", 42)  # R-LC-24
CARNET_MAJORITY_AGE = env_int("CARNET_MAJORITY_AGE", 18)  # R-MIN-7 [I]
# R-MIN-7 [I]: "handover" detaches legal representatives at majority and sends the young adult
# a new provisional code; "keep" leaves representatives attached until they end it themselves.
CARNET_MAJORITY_POLICY = env("CARNET_MAJORITY_POLICY", "handover")
# R-MIN-5 [I]: from this age a minor with his own access keeps an exchange from his legal representatives.
CARNET_MINOR_SECRECY_AGE = env_int("CARNET_MINOR_SECRECY_AGE", 15)
CARNET_EXPORT_RETENTION_DAYS = env_int("CARNET_EXPORT_RETENTION_DAYS", 30)  # R-LC-26 [I]
CARNET_CAREGIVER_INVITATION_DAYS = env_int("CARNET_CAREGIVER_INVITATION_DAYS", 30)  # R-DEL-2 [I]
CARNET_MAX_CAREGIVERS_PER_PERSON = 3  # R-DEL-2
CARNET_MAX_HELPED_PER_CAREGIVER = 5  # R-DEL-2

# Documents and access (SPEC §2.7, R-AC-16, R-EM-6 [I]).
CARNET_PATIENT_UPLOAD_MAX_BYTES = env_int("CARNET_PATIENT_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)  # R-FMT-3
CARNET_DOCUMENT_MAX_BYTES = env_int(
    "CARNET_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024
)  # [I] professional documents
CARNET_TEMPORARY_CODE_MINUTES = env_int(
    "CARNET_TEMPORARY_CODE_MINUTES", 60
)  # R-AC-16 [I] one-time code validity
CARNET_TEMPORARY_ACCESS_HOURS = env_int("CARNET_TEMPORARY_ACCESS_HOURS", 24)  # R-AC-16 [I] access it grants
# Deposits under faults (issue 13, docs/subsystems/records.md "Under faults"): orphan blob files are swept
# once older than the grace (far longer than any transaction lives) and only after a claim on their id proves
# no open transaction holds it; idempotency keys of the JSON API are kept for the retention.
CARNET_BLOB_SWEEP_GRACE_SECONDS = env_int("CARNET_BLOB_SWEEP_GRACE_SECONDS", 3600)
CARNET_BLOB_SWEEP_INTERVAL_SECONDS = env_int("CARNET_BLOB_SWEEP_INTERVAL_SECONDS", 900)
CARNET_BLOB_SWEEP_LOCK_TIMEOUT_SECONDS = float(env("CARNET_BLOB_SWEEP_LOCK_TIMEOUT_SECONDS", "2"))
CARNET_DEPOSIT_KEY_RETENTION_HOURS = env_int("CARNET_DEPOSIT_KEY_RETENTION_HOURS", 48)

# Messaging (SPEC §5; [I] limits: SPEC §12.3 leaves the attachment size open).
CARNET_MESSAGE_ATTACHMENTS_MAX_BYTES = env_int("CARNET_MESSAGE_ATTACHMENTS_MAX_BYTES", 10 * 1024 * 1024)
CARNET_MESSAGE_BODY_MAX_CHARS = env_int("CARNET_MESSAGE_BODY_MAX_CHARS", 20000)
# SMTP gateway (R-MSG-1 [I]): patients' addresses are <matricule INS>@CARNET_PATIENT_MAIL_DOMAIN; senders are
# active professionals' directory e-mails, restricted to CARNET_SMTP_ALLOWED_SENDERS when set (comma-separated).
CARNET_PATIENT_MAIL_DOMAIN = env("CARNET_PATIENT_MAIL_DOMAIN", "patient.carnet.invalid")
CARNET_SMTP_ALLOWED_SENDERS = [a for a in env("CARNET_SMTP_ALLOWED_SENDERS").split(",") if a.strip()]
CARNET_SMTP_RELAY_WINDOW_DAYS = env_int("CARNET_SMTP_RELAY_WINDOW_DAYS", 7)

# Requests: JSON/FHIR deposits carry base64 contents (a 20 MB document is ~27 MB of JSON).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("CARNET_UPLOAD_MAX_MEMORY", 30 * 1024 * 1024)
# JSON bodies of the API and FHIR: nesting bound, checked on the raw bytes before parsing (carnet.api.bodies).
CARNET_JSON_MAX_DEPTH = env_int("CARNET_JSON_MAX_DEPTH", 64)

# Login protection (SPEC R-LC-12; [I] thresholds).
CARNET_OTP_TTL_SECONDS = env_int("CARNET_OTP_TTL_SECONDS", 180)
CARNET_OTP_MAX_ATTEMPTS = env_int("CARNET_OTP_MAX_ATTEMPTS", 5)
CARNET_LOCKOUT_THRESHOLD = env_int("CARNET_LOCKOUT_THRESHOLD", 5)
CARNET_LOCKOUT_MINUTES = env_int("CARNET_LOCKOUT_MINUTES", 15)
CARNET_IP_THROTTLE_PER_MINUTE = env_int("CARNET_IP_THROTTLE_PER_MINUTE", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("CARNET_LOG_LEVEL", "INFO")},
    # Request logs carry URLs only; URLs never carry health data (see docs/subsystems/security.md).
    "loggers": {"django.request": {"level": "WARNING"}},
}
