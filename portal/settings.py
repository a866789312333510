"""Settings for the Shunqing smart-community portal, read from the environment.

Every variable is listed with its default in README.md. Outside debug mode the secrets and the host
list must be given; a missing or malformed value stops start-up with a message naming it.
"""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.urls import reverse_lazy

from portal import env

BASE_DIR = Path(__file__).resolve().parent.parent
env.read_env_file(BASE_DIR / ".env")

DEBUG = env.get_bool("DEBUG", False)

# --- secrets and hosts: development defaults only in debug mode -----------------------------
_DEV_SECRET_KEY = "django-insecure-development-only-key-never-used-outside-debug-mode-7f3a9c"  # noqa: S105
_DEV_PERSONAL_DATA_KEY = "development-only-personal-data-key-never-used-outside-debug"

if DEBUG:
    SECRET_KEY = env.get_str("SECRET_KEY", _DEV_SECRET_KEY)
    PERSONAL_DATA_KEY = env.get_str("PERSONAL_DATA_KEY", _DEV_PERSONAL_DATA_KEY)
    ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env.require_str("SECRET_KEY", reason="it signs sessions and tokens")
    PERSONAL_DATA_KEY = env.require_str("PERSONAL_DATA_KEY", reason="it encrypts residents' ID-card numbers and phones")
    ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise env.ConfigurationError(
            "Environment variable ALLOWED_HOSTS must be set (comma-separated host names) when DEBUG is off."
        )
if len(PERSONAL_DATA_KEY) < 32:
    raise env.ConfigurationError("Environment variable PERSONAL_DATA_KEY must be at least 32 characters long.")

CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [])

# --- applications ----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # allauth's list of security keys (/accounts/2fa/webauthn/) loads {% load humanize %}.
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI as static files: the API docs at /api/docs/ work without the internet.
    "drf_spectacular_sidecar",
    # The Content-Security-Policy (security/headers.py applies it): its settings checks and {% load csp %}.
    "csp",
    "django_filters",
    # Before allauth, so the portal's templates replace allauth's layout.
    "portal",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Our apps, in dependency order (see the README's layout).
    "core",
    "directory",
    "security",
    "residents",
    "notifications",
    "services",
    "partners",
    "exchange",
    "participation",
    "workforce",
    "programme",
    "dashboards",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files keep their long cache lifetimes; every view's answer gets these.
    "security.headers.ContentSecurityPolicyMiddleware",
    "security.headers.PermissionsPolicyMiddleware",
    "security.headers.NoStoreMiddleware",
    # Before the session is looked up: text PostgreSQL cannot store (NUL) is refused at the door.
    "core.request_input.UnstorableInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After allauth's: staff without a second factor go to enrolment before any page (security.mfa).
    "security.mfa.MfaEnrolmentMiddleware",
    "security.middleware.RequestAddressMiddleware",
    # After the address is known: an ended session is audited with it.
    "security.session_idle.SessionIdleMiddleware",
    # In debug mode (make run): the portal's 404 page rather than Django's list of every URL.
    "portal.error_pages.DebugNotFoundPageMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.navigation",
                "portal.display_mode.display_mode",
                "notifications.context_processors.unread_notifications",
                "services.context_processors.map_settings",
            ],
        },
    },
]

# --- data ------------------------------------------------------------------------------------
# With no DATABASE_URL: the PostgreSQL that `make run` keeps running under .data/ (portal.env).
DATABASES = {"default": env.get_database("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.get_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No JIT compilation: the portal's queries answer pages in milliseconds, and PostgreSQL judged some
# of them (a subdistrict's overdue visits, the district's grid counts) costly enough to compile, which
# took as long as running them on the benchmark's data (bench/README.md, make bench-workforce).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# The owner of the tables, for migrate, archive_audit and database_roles (docs/security.md): in
# production the portal's own role may not change or remove audit and exchange log rows.
if env.get_str("DATABASE_OWNER_URL"):
    DATABASES["owner"] = env.get_database("DATABASE_OWNER_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.get_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# API calls are counted here (core.throttle): on Redis, one count for every web process;
# without it, the one development process's own memory.
CACHES["throttle"] = {**CACHES["default"], "KEY_PREFIX": "throttle"}
API_RATE_LIMIT = env.get_str("API_RATE_LIMIT", "600/min")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", API_RATE_LIMIT):
    raise env.ConfigurationError(f"Environment variable API_RATE_LIMIT must look like 600/min, got {API_RATE_LIMIT!r}.")
# The jurisdiction_id Open311 answers to (the spec suggests the district's web address); any other is a 404.
OPEN311_JURISDICTION_ID = env.get_str("OPEN311_JURISDICTION_ID", "shunqing.nanchong.gov.cn")

# --- Celery: a real broker when REDIS_URL is set, otherwise tasks run in-process ----------------
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "notifications-outbox-sweep": {
        "task": "notifications.tasks.outbox_sweep_task",
        "schedule": 60,
    },
    # Starts the fan-out of scheduled notices when due, resumes fan-outs a dead worker left.
    "participation-notices-release": {
        "task": "participation.tasks.notices_release_due_task",
        "schedule": 60,
    },
    # Reminds residents with a place of events starting within 24 hours (once per sign-up).
    "participation-event-reminders": {
        "task": "participation.tasks.event_reminders_send_task",
        "schedule": 60 * 60,
    },
    # Marks proposals unanswered 15 days after reaching their support overdue, tells the subdistrict.
    "participation-proposals-overdue": {
        "task": "participation.tasks.proposals_sweep_overdue_task",
        "schedule": 60 * 60,
    },
    # The yearly assessment run: last year's draft assessments, for managers to rate and finalise in
    # January and February; the level run on 1 March reads last year's final assessments.
    "workforce-assessment-run": {
        "task": "workforce.tasks.assessment_run_task",
        "schedule": crontab(month_of_year=1, day_of_month=1, hour=5, minute=0),
    },
    # The yearly level run: proposes each worker's due level step for their manager to confirm.
    "workforce-level-proposals": {
        "task": "workforce.tasks.level_proposals_run_task",
        "schedule": crontab(month_of_year=3, day_of_month=1, hour=6, minute=0),
    },
    "verify-audit-chain-nightly": {
        "task": "security.tasks.audit_chain_verify_task",
        "schedule": 24 * 60 * 60,
    },
    # Daily training reminders: required courses not done (monthly each), certificates expiring in 30 days.
    "workforce-training-reminders": {
        "task": "workforce.tasks.training_reminders_task",
        "schedule": crontab(hour=8, minute=30),
    },
    "escalate-overdue-requests": {
        "task": "services.tasks.requests_escalate_overdue_task",
        "schedule": 5 * 60,
    },
    "close-confirmed-requests": {
        "task": "services.tasks.requests_close_after_window_task",
        "schedule": 60 * 60,
    },
    "services-staged-photos-expire": {
        "task": "services.tasks.staged_photos_expire_task",
        "schedule": 60 * 60,
    },
    "partners-webhook-sweep": {
        "task": "partners.tasks.webhook_sweep_task",
        "schedule": 60,
    },
    "dashboards-summaries-refresh": {
        "task": "dashboards.tasks.summaries_refresh_task",
        "schedule": 5 * 60,
    },
    # Starts and ends agreements on their dates, runs the scheduled ones, requeues stalled jobs.
    "exchange-sweep": {
        "task": "exchange.tasks.exchange_sweep_task",
        "schedule": 5 * 60,
    },
    "verify-exchange-log-nightly": {
        "task": "exchange.tasks.exchange_log_verify_task",
        "schedule": 24 * 60 * 60,
    },
    # The auditor's desk: look for what auditors should be told, then tell them.
    "security-alerts-detect": {
        "task": "security.tasks.alerts_detect_task",
        "schedule": 60,
    },
    "notifications-security-alerts-deliver": {
        "task": "notifications.tasks.security_alerts_deliver_task",
        "schedule": 60,
    },
    # Area alerts: finish fan-outs whose task was lost; each morning, yesterday's digests.
    "notifications-area-alerts-sweep": {
        "task": "notifications.tasks.area_alerts_sweep_task",
        "schedule": 60,
    },
    "notifications-area-digests-send": {
        "task": "notifications.tasks.area_digests_send_task",
        "schedule": crontab(hour=7, minute=30),
    },
    # Failed household-number verifications: the grid's staff are told (an ID number may have leaked).
    "notifications-verification-failures-deliver": {
        "task": "notifications.tasks.verification_failures_deliver_task",
        "schedule": 60,
    },
    # The heads of both logs, signed, written outside the database (also every 10,000 rows).
    "audit-checkpoint-hourly": {
        "task": "security.tasks.audit_checkpoint_task",
        "schedule": 60 * 60,
    },
    "exchange-log-checkpoint-hourly": {
        "task": "exchange.tasks.exchange_log_checkpoint_task",
        "schedule": 60 * 60,
    },
}

# --- identity --------------------------------------------------------------------------------
AUTH_USER_MODEL = "security.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:landing"
# A new account belongs to no household: sign-up ends where the person asks to be verified as a resident.
ACCOUNT_SIGNUP_REDIRECT_URL = "residents:my_verification"
ACCOUNT_LOGOUT_REDIRECT_URL = "portal:home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.get_choice("ACCOUNT_EMAIL_VERIFICATION", "optional", ("none", "optional", "mandatory"))
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PRESERVE_USERNAME_CASING = False

# --- sign-in protection and sessions (docs/security.md, "Sign-in protection and sessions") -----
ACCOUNT_ADAPTER = "security.account_adapter.PortalAccountAdapter"
# allauth's format, counted in the default cache (Redis). Per address ("ip") generously: one carrier
# address can carry thousands of phones; per account ("key", see security.sign_in_protection) tightly.
ACCOUNT_RATE_LIMITS = {
    "login": "300/m/ip",
    "login_failed": "100/m/ip,1000/h/ip,10/15m/key",
    "reset_password": "60/m/ip,5/m/key",
    "reset_password_from_key": "60/m/ip",
    "signup": "60/m/ip",
}
# Idle time after which a session ends: staff (any role but resident, or is_staff), everyone else.
SESSION_IDLE_STAFF_SECONDS = env.get_int("SESSION_IDLE_STAFF_MINUTES", 30, minimum=1) * 60
SESSION_IDLE_RESIDENT_SECONDS = env.get_int("SESSION_IDLE_RESIDENT_DAYS", 14, minimum=1) * 24 * 60 * 60
SESSION_IDLE_WARNING_SECONDS = 120
SESSION_COOKIE_AGE = SESSION_IDLE_RESIDENT_SECONDS

# --- MFA (allauth.mfa): required for staff (security.roles.STAFF_ROLES), optional for residents ---
MFA_ADAPTER = "security.mfa.PortalMfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "顺庆智慧社区"
# One 30-second step either side: a phone's clock drifts, and a code typed at a step's end still counts.
MFA_TOTP_TOLERANCE = 1
# WebAuthn needs https; only a developer's http://localhost may stand in for it.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_PASSKEY_LOGIN_ENABLED = False

# --- the audit log's and the exchange log's protection (docs/security.md, "The audit log") --
# Empty: derived from SECRET_KEY (development, tests); `check --deploy` requires both in production.
AUDIT_LOG_KEY = env.get_str("AUDIT_LOG_KEY", "")
AUDIT_CHECKPOINT_SIGNING_KEY = env.get_str("AUDIT_CHECKPOINT_SIGNING_KEY", "")
for _name, _value in (("AUDIT_LOG_KEY", AUDIT_LOG_KEY), ("AUDIT_CHECKPOINT_SIGNING_KEY", AUDIT_CHECKPOINT_SIGNING_KEY)):
    if _value and len(_value) < 32:
        raise env.ConfigurationError(f"Environment variable {_name} must be at least 32 characters long.")
# For a verifier without the signing key: the public key `manage.py verify_audit --public-key` prints.
AUDIT_CHECKPOINT_VERIFY_KEY = env.get_str("AUDIT_CHECKPOINT_VERIFY_KEY", "")
# Where signed checkpoints go: a directory (empty: .data/audit-checkpoints/<database>) or an https:// endpoint.
AUDIT_CHECKPOINT_DIR = env.get_str("AUDIT_CHECKPOINT_DIR", "")
AUDIT_CHECKPOINT_URL = env.get_str("AUDIT_CHECKPOINT_URL", "")
if AUDIT_CHECKPOINT_URL and not AUDIT_CHECKPOINT_URL.startswith("https://"):
    raise env.ConfigurationError(
        f"Environment variable AUDIT_CHECKPOINT_URL must be an https:// URL, got {AUDIT_CHECKPOINT_URL!r}."
    )
# Where archive_audit writes archived months (empty: .data/audit-archive).
AUDIT_ARCHIVE_DIR = env.get_str("AUDIT_ARCHIVE_DIR", "")

# --- the auditor's desk: when auditors are alerted (docs/security.md, "The auditor's desk") ----
# Failed sign-ins within the window: per address generous (many residents share a carrier address).
SECURITY_ALERT_SIGN_IN_WINDOW_MINUTES = env.get_int("SECURITY_ALERT_SIGN_IN_WINDOW_MINUTES", 10, minimum=1)
SECURITY_ALERT_SIGN_IN_FAILURES_PER_ADDRESS = env.get_int("SECURITY_ALERT_SIGN_IN_FAILURES_PER_ADDRESS", 100, minimum=2)
SECURITY_ALERT_SIGN_IN_FAILURES_PER_ACCOUNT = env.get_int("SECURITY_ALERT_SIGN_IN_FAILURES_PER_ACCOUNT", 10, minimum=2)
# Exports and reveals of personal data by one user within the window.
SECURITY_ALERT_BULK_WINDOW_MINUTES = env.get_int("SECURITY_ALERT_BULK_WINDOW_MINUTES", 60, minimum=1)
SECURITY_ALERT_EXPORTS_PER_USER = env.get_int("SECURITY_ALERT_EXPORTS_PER_USER", 20, minimum=2)
SECURITY_ALERT_REVEALS_PER_USER = env.get_int("SECURITY_ALERT_REVEALS_PER_USER", 30, minimum=2)
# A reveal outside these hours (Asia/Shanghai) or days (ISO weekdays, Monday = 1) is alerted.
_working_hours = env.get_str("SECURITY_ALERT_WORKING_HOURS", "08:00-20:00")
_hours = re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)", _working_hours)
if not _hours or _working_hours[:5] >= _working_hours[6:]:
    raise env.ConfigurationError(
        f"Environment variable SECURITY_ALERT_WORKING_HOURS must look like 08:00-20:00, got {_working_hours!r}."
    )
SECURITY_ALERT_WORKING_HOURS = (_working_hours[:5], _working_hours[6:])  # ("08:00", "20:00"), local time
_working_days = env.get_list("SECURITY_ALERT_WORKING_DAYS", ["1", "2", "3", "4", "5"])
if not all(day in {"1", "2", "3", "4", "5", "6", "7"} for day in _working_days):
    raise env.ConfigurationError(
        f"Environment variable SECURITY_ALERT_WORKING_DAYS must list ISO weekdays 1-7, got {_working_days!r}."
    )
SECURITY_ALERT_WORKING_DAYS = sorted({int(day) for day in _working_days})

# --- e-mail: printed to the console in development, SMTP in production -----------------------
if DEBUG and not env.get_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.get_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env.get_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env.get_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env.get_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env.get_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env.get_bool("EMAIL_USE_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise env.ConfigurationError("Set only one of EMAIL_USE_TLS and EMAIL_USE_SSL.")
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL", "顺庆智慧社区 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A mail server that hangs must not hold a notification worker past its time limit.
EMAIL_TIMEOUT = env.get_int("EMAIL_TIMEOUT", 10, minimum=1)

# --- notifications: links in e-mail and SMS, and the SMS gateway ---------------------------------
# The portal's public address, so e-mail and SMS can carry full links; without it they carry none.
PORTAL_URL = env.get_str("PORTAL_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if PORTAL_URL and not PORTAL_URL.startswith(("https://", "http://")):
    raise env.ConfigurationError(f"Environment variable PORTAL_URL must be an https:// URL, got {PORTAL_URL!r}.")
SMS_BACKEND = env.get_str("SMS_BACKEND", "notifications.channels.ConsoleSmsBackend")
if len(SMS_BACKEND.split(".")) < 2 or not all(part.isidentifier() for part in SMS_BACKEND.split(".")):
    raise env.ConfigurationError(
        "Environment variable SMS_BACKEND must be the dotted path of a class, "
        f"e.g. notifications.channels.HttpSmsBackend, got {SMS_BACKEND!r}."
    )
SMS_FILE_PATH = env.get_str("SMS_FILE_PATH", "")
SMS_GATEWAY_URL = env.get_str("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env.get_str("SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_TIMEOUT = env.get_int("SMS_GATEWAY_TIMEOUT", 10, minimum=1)
if SMS_GATEWAY_URL and not SMS_GATEWAY_URL.startswith(("https://", "http://")):
    raise env.ConfigurationError(
        f"Environment variable SMS_GATEWAY_URL must be an https:// URL, got {SMS_GATEWAY_URL!r}."
    )
if SMS_BACKEND == "notifications.channels.HttpSmsBackend" and not SMS_GATEWAY_URL:
    raise env.ConfigurationError("Environment variable SMS_GATEWAY_URL must be set when SMS_BACKEND is HttpSmsBackend.")
if SMS_BACKEND == "notifications.channels.FileSmsBackend" and not SMS_FILE_PATH:
    raise env.ConfigurationError("Environment variable SMS_FILE_PATH must be set when SMS_BACKEND is FileSmsBackend.")

# --- partner webhooks: never to the portal's own network, unless a test or a lab says so --------
# True also allows http:// endpoints. Only for tests and closed networks: it lets a partner make the
# portal POST to addresses inside the district's network.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.get_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)

# --- data exchange: signed payload files, pushed to consumers' endpoints (same address rules) ----
EXCHANGE_PAYLOAD_DIR = env.get_str("EXCHANGE_PAYLOAD_DIR", "")  # empty: MEDIA_ROOT/exchange
EXCHANGE_PUSH_TIMEOUT = env.get_int("EXCHANGE_PUSH_TIMEOUT", 30, minimum=1)
# Tests only: seconds an exchange job waits between writing its payload and logging it, so a test
# can kill the worker at that moment.
EXCHANGE_PAUSE_BEFORE_LOG = env.get_int("EXCHANGE_PAUSE_BEFORE_LOG", 0, minimum=0)

# --- map picker: tiles from a server the district names; with none, the request form has no map ---
MAP_TILE_URL = env.get_str("MAP_TILE_URL", "")
if MAP_TILE_URL and not (
    MAP_TILE_URL.startswith(("https://", "http://")) and all(part in MAP_TILE_URL for part in ("{z}", "{x}", "{y}"))
):
    raise env.ConfigurationError(
        "Environment variable MAP_TILE_URL must be an http(s):// URL template with {z}, {x} and {y}, "
        f"e.g. https://tiles.example.cn/{{z}}/{{x}}/{{y}}.png, got {MAP_TILE_URL!r}."
    )
MAP_TILE_ATTRIBUTION = env.get_str("MAP_TILE_ATTRIBUTION", "")

# --- languages: Chinese first ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded photos. Never served as static files: a view checks who may see each one.
MEDIA_ROOT = env.get_str("MEDIA_ROOT", str(BASE_DIR / "media"))
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# A notice's one attachment (an image or a PDF), served through a view that checks who may read it.
NOTICE_ATTACHMENT_MAX_BYTES = env.get_int("NOTICE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# Living-alone elderly residents who have not read an urgent notice this long after its
# publication appear on their grid worker's list to visit or call (participation.notice_reach).
NOTICE_ELDERLY_READ_WINDOW = timedelta(minutes=env.get_int("NOTICE_ELDERLY_READ_WINDOW_MINUTES", 120, minimum=0))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON bodies are read with a depth limit and without NUL (core.request_input).
    "DEFAULT_PARSER_CLASSES": [
        "core.request_input.LimitedJSONParser",
        "core.request_input.LimitedFormParser",
        "core.request_input.LimitedMultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shunqing smart-community portal API",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies get components of their own, so uploads are described as files.
    "COMPONENT_SPLIT_REQUEST": True,
    # Named once, so another API's field of the same name with other choices cannot collide with them.
    "ENUM_NAME_OVERRIDES": {
        "WorkOrderStatusEnum": "services.models.RequestStatus",
        "RequestChannelEnum": "services.models.Channel",
        "WorkOrderEventKindEnum": "services.models.RequestEvent.Kind",
        "WorkOrderActionEnum": "partners.serializers.API_STEPS",
        "WorkOrderEventByEnum": "partners.serializers.EVENT_AUTHORS",
    },
}

# --- security headers: strict unless debug; SSL behind a proxy is declared, never guessed ----
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env.get_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env.get_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.get_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env.get_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if env.get_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The audit log records the client's address. Only trust X-Forwarded-For when a proxy we run sets it.
AUDIT_TRUST_X_FORWARDED_FOR = env.get_bool("AUDIT_TRUST_X_FORWARDED_FOR", False)

# --- Content-Security-Policy and Permissions-Policy (security/headers.py, docs/security.md) ------
# Scripts and styles only from the portal's own static files (or a tag carrying the page's nonce):
# an injected <script>, <style>, style="" or onclick="" does nothing. No 'unsafe-inline' or
# 'unsafe-eval': neither the vendored Chart.js and Leaflet nor Swagger UI needs them.
_map_tile_host = urlsplit(MAP_TILE_URL).netloc
# Leaflet's {s} spreads tiles over sub-domains; CSP's wildcard stands for the leftmost label only.
_map_tile_host = re.sub(r"^\{s\}\.", "*.", _map_tile_host)
if "{" in _map_tile_host:
    raise env.ConfigurationError(
        "Environment variable MAP_TILE_URL may only have {s} as the first part of its host name, "
        f"got {MAP_TILE_URL!r}."
    )
MAP_TILE_ORIGIN = f"{urlsplit(MAP_TILE_URL).scheme}://{_map_tile_host}" if MAP_TILE_URL else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for images that stylesheets carry inline (Swagger UI's icons); map tiles from their server.
        "img-src": [SELF, "data:", *([MAP_TILE_ORIGIN] if MAP_TILE_ORIGIN else [])],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "report-uri": [reverse_lazy("security:csp_report")],
    }
}
# Features no page uses are off for every page and frame; the request form's map asks for the
# position (geolocation) and the sign-in may use security keys (publickey-credentials-get).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": ["self"],
    "geolocation": ["self"],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-get": ["self"],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.get_choice("LOG_LEVEL", "INFO", LOG_LEVELS)},
    # Without a broker every task runs in-process and would log a line per task to the console.
    "loggers": {"celery.app.trace": {"level": "WARNING" if REDIS_URL is None else "INFO"}},
}
