"""Settings for the work-plan supervision system (督查督办).

One file, read from the environment (see CONTRACT.md). With no variables set it runs on the
embedded defaults: a SQLite file under var/, no Redis (Celery runs tasks in-process), mail
printed to the console. DATABASE_URL and REDIS_URL point it at PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 - refused when DEBUG is off

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"环境变量 {name}={raw!r} 无法识别：请使用 true/false、1/0、yes/no 或 on/off。"
    )


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name}={raw!r} 不是整数。") from None


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "生产模式（DEBUG=false）下必须通过环境变量 SECRET_KEY 设置自己的密钥，拒绝使用默认值启动。"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_celery_beat",
    "axes",
    "core",
    "supervision",
    "services",
    "emergency",
    "foodsafety",
]

MIDDLEWARE = [
    "core.middleware.RetryReadOnDatabaseFailureMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.RequestBodyGuardMiddleware",
    "core.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]
# `make bench` (bench/run.py): an X-Query-Count header on every response, right after WhiteNoise.
BENCH_QUERY_HEADER = env_bool("BENCH_QUERY_HEADER", False)
if BENCH_QUERY_HEADER:
    MIDDLEWARE.insert(3, "core.middleware.QueryCountHeaderMiddleware")

ROOT_URLCONF = "qingdao_office.urls"
WSGI_APPLICATION = "qingdao_office.wsgi.application"

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
                "core.context_processors.unread",
                "core.context_processors.broker_status",
                "core.context_processors.calendar_status",
            ],
        },
    },
]

# Database: SQLite file by default, anything dj-database-url understands by DATABASE_URL.
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
_default_db = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL") or _default_db
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as exc:
    raise ImproperlyConfigured(f"环境变量 DATABASE_URL 无法解析：{exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # IMMEDIATE: a write transaction takes the lock when it begins, so concurrent saves wait
    # for each other instead of failing with "database is locked" half-way.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: once ANALYZE has run, the dashboard's and the ledger's queries cost enough for
    # PostgreSQL to compile them, which took longer (about 100 ms) than running them.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()

# A killed or restarted PostgreSQL connection is noticed before a request uses it (no 500 per
# worker after a database restart).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "supervision.User"
# django-axes first: it refuses a locked-out account or address before the password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "core.auth.Backend"]
# Sign-in throttling (django-axes), per account and per address: after AXES_FAILURE_LIMIT wrong
# passwords the account (from any address) and the address (for any account) are locked for
# AXES_COOLOFF_MINUTES; an admin unlocks at once under 管理 → Axes → 访问尝试 (delete the row)
# or with `manage.py axes_reset_username USER`. Applies to /accounts/login/ and /admin/.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # lockouts are still logged; no banner line at every start-up
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address: REMOTE_ADDR, unless the proxy in front sets a header we trust
# (deploy/nginx sets X-Real-IP; then TRUSTED_PROXY_IP_HEADER=HTTP_X_REAL_IP). Never a header
# a client could send straight to gunicorn.
TRUSTED_PROXY_IP_HEADER = env_str("TRUSTED_PROXY_IP_HEADER")
AXES_IPWARE_META_PRECEDENCE_ORDER = [
    *([TRUSTED_PROXY_IP_HEADER] if TRUSTED_PROXY_IP_HEADER else []),
    "REMOTE_ADDR",
]

# Sessions end after SESSION_IDLE_MINUTES without a request (core.middleware.
# SessionActivityMiddleware moves the expiry, writing at most every 5 minutes), and when the
# browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp): scripts only from our own static files, no inline
# script anywhere (tests/core/test_security.py checks the templates). Inline style attributes
# (progress bar widths) are allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), interest-cohort=()"
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Argon2 first (issue 11: sign-in took 2.5–4.8 s with PBKDF2), with parameters for a small
# server (core/hashers.py); the others still check the hashes stored before, and Django
# rehashes those with Argon2 at the next sign-in.
PASSWORD_HASHERS = [
    "core.hashers.Argon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Uploaded files (佐证材料 and the like): never served directly (nginx returns 404 for
# /media/); `make backup` copies this folder with the database.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# 佐证材料 (core/files.py): the largest file accepted, and how many in one upload.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 20) * 1024 * 1024
ATTACHMENT_MAX_FILES = env_int("ATTACHMENT_MAX_FILES", 10)

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
WHITENOISE_USE_FINDERS = DEBUG  # development serves static/ directly, no collectstatic
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

# Request bodies. A body over MAX_REQUEST_BYTES is refused before it is read, and so is any
# multipart body from someone not signed in (core.middleware.RequestBodyGuardMiddleware;
# nginx's client_max_body_size in deploy/ says the same). Non-file fields may hold 10 MB
# (pasted plan texts); uploads over 2.5 MB go to a temporary file, never into memory. The
# largest file accepted is a 佐证材料 file (ATTACHMENT_MAX_BYTES, 20 MB): the body limit
# leaves room for it; the report sheet (supervision/ledger.py) is 5 MB, plans 1 MB.
MAX_REQUEST_BYTES = env_int(
    "MAX_REQUEST_BYTES", max(12 * 1024 * 1024, ATTACHMENT_MAX_BYTES + 2 * 1024 * 1024)
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024 + 512 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: console in development; EMAIL_URL (smtp://user:pass@host:port, or console:/file:)
# or the usual EMAIL_* variables in production.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "督查督办系统 <duban@localhost>")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
_email_url = env_str("EMAIL_URL")
if _email_url:
    from urllib.parse import unquote, urlsplit

    _parts = urlsplit(_email_url)
    if _parts.scheme == "console":
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif _parts.scheme == "file":
        EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        EMAIL_FILE_PATH = _parts.path or EMAIL_FILE_PATH
    elif _parts.scheme in {"smtp", "smtps", "submission"}:
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = _parts.hostname or "localhost"
        EMAIL_PORT = _parts.port or {"smtp": 25, "smtps": 465, "submission": 587}[_parts.scheme]
        EMAIL_HOST_USER = unquote(_parts.username or "")
        EMAIL_HOST_PASSWORD = unquote(_parts.password or "")
        EMAIL_USE_SSL = _parts.scheme == "smtps"
        EMAIL_USE_TLS = _parts.scheme == "submission"
    else:
        raise ImproperlyConfigured(
            f"环境变量 EMAIL_URL 的协议 {_parts.scheme!r} 不受支持（可用 smtp、smtps、"
            "submission、console、file）。"
        )

# Celery: Redis as broker and result backend with REDIS_URL. Without it, tasks run in-process
# (CELERY_TASK_ALWAYS_EAGER, the default for tests and manage.py); `make run` (bin/serve) sets
# CELERY_TASK_ALWAYS_EAGER=false and runs a worker with beat on the embedded broker: kombu's
# filesystem transport, queued messages as files under var/celery/.
REDIS_URL = env_str("REDIS_URL")
# Seconds a web request waits on Redis (cache or broker) before treating it as down.
REDIS_SOCKET_TIMEOUT = float(env_str("REDIS_SOCKET_TIMEOUT", "0.5") or 0.5)
BROKER_SOCKET_TIMEOUT = float(env_str("BROKER_SOCKET_TIMEOUT", "1") or 1)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # An unacknowledged message (its worker was killed) goes back to the queue after this long.
    # Short socket timeouts and no publish retry: a web request that queues a task after
    # commit gives up within about a second when Redis is down or hangs; the row waits in
    # the outbox for the sweep (core/delivery.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "socket_timeout": BROKER_SOCKET_TIMEOUT,
        "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
        "max_retries": 0,
    }
    CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT
    CELERY_TASK_PUBLISH_RETRY = False
else:
    _celery_dir = VAR_DIR / "celery"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
    if not CELERY_TASK_ALWAYS_EAGER:
        for _folder in ("queue", "control"):
            (_celery_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# The schedule lives in the database (django-celery-beat), editable in the admin under
# 周期任务; supervision/schedule.py creates the daily reminder scan after migrate.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# The reminder engine (core/reminders.py). Days are counted in TIME_ZONE.
REMINDER_SCAN_TIME = env_str("REMINDER_SCAN_TIME", "08:30")  # first schedule only; then admin
REMINDER_DUE_SOON_DAYS = [int(d) for d in env_list("REMINDER_DUE_SOON_DAYS", ["7", "3", "1"])]
REMINDER_OVERDUE_EVERY = env_int("REMINDER_OVERDUE_EVERY", 3)
REMINDER_ESCALATE_SUPERVISOR_DAYS = env_int("REMINDER_ESCALATE_SUPERVISOR_DAYS", 7)
REMINDER_ESCALATE_LEADER_DAYS = env_int("REMINDER_ESCALATE_LEADER_DAYS", 15)
REMINDER_REPORT_FROM_DAY = env_int("REMINDER_REPORT_FROM_DAY", 25)
REMINDER_RETURNED_DAYS = env_int("REMINDER_RETURNED_DAYS", 3)
REMINDER_LISTING_DAYS = [int(d) for d in env_list("REMINDER_LISTING_DAYS", ["7", "3", "1"])]
REMINDER_RULES = env_list("REMINDER_RULES", [])  # rule names to run; empty = all registered
REMINDER_CHANNELS = env_list(
    "REMINDER_CHANNELS",
    ["core.channels.InAppChannel", "core.channels.EmailChannel"],
)
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 8)
# A worker that claimed a message and died holds it this long; then another may send it.
REMINDER_CLAIM_LEASE = env_int("REMINDER_CLAIM_LEASE", 600)

# 红黄绿灯 thresholds (supervision/lights.py): yellow when due within this many days, or when
# percent done lags the share of elapsed time (序时进度) by more than this many points.
LIGHT_DUE_SOON_DAYS = env_int("LIGHT_DUE_SOON_DAYS", 15)
LIGHT_BEHIND_POINTS = env_int("LIGHT_BEHIND_POINTS", 20)
# The day of the month by which last month's report is due (reports after it are late).
REPORT_DUE_DAY = env_int("REPORT_DUE_DAY", 5)

# 12345 hotline (services/): a work order is late when not replied within this many days of
# its receipt; a browser upload of a hotline export may hold this many bytes (a month of a
# city's work orders; a year's file goes through `manage.py import_workorders`).
HOTLINE_REPLY_DAYS = env_int("HOTLINE_REPLY_DAYS", 5)
HOTLINE_CASE_DAYS = env_int("HOTLINE_CASE_DAYS", 15)  # a 集中督办 item's default deadline
HOTLINE_UPLOAD_MAX_BYTES = env_int("HOTLINE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# 网络在线问政: days a department has to answer, when the inquiry gives no deadline.
INQUIRY_REPLY_DAYS = env_int("INQUIRY_REPLY_DAYS", 5)
# The 督办 procedure (issue 12); limits in 工作日 count with core/workdays.py.
# 签收 within this many working days of 交办; 拒签 (with a reason) only within its own limit.
ASSIGNMENT_SIGN_WORKDAYS = env_int("ASSIGNMENT_SIGN_WORKDAYS", 3)
ASSIGNMENT_REFUSE_WORKDAYS = env_int("ASSIGNMENT_REFUSE_WORKDAYS", 3)
# 立项 proposes the deadline: 批示件 by urgency (紧急 / 一般 / 复杂疑难), other sources by
# SOURCE_DEFAULTS, and ITEM_DEFAULT_WORKDAYS where no deadline is given.
ITEM_URGENT_WORKDAYS = env_int("ITEM_URGENT_WORKDAYS", 5)
ITEM_NORMAL_WORKDAYS = env_int("ITEM_NORMAL_WORKDAYS", 15)
ITEM_DIFFICULT_WORKDAYS = env_int("ITEM_DIFFICULT_WORKDAYS", 30)
ITEM_DEFAULT_WORKDAYS = env_int("ITEM_DEFAULT_WORKDAYS", 30)
# A 督办函 / 催办通知书 asks for a written answer within this many working days.
LETTER_REPLY_WORKDAYS = env_int("LETTER_REPLY_WORKDAYS", 5)
# source -> (working days to the deadline, or "year_end"; reporting rhythm)
SOURCE_DEFAULTS = {
    "instruction": (None, "once"),  # by urgency
    "meeting": (ITEM_DEFAULT_WORKDAYS, "monthly"),
    "gov_report": ("year_end", "monthly"),
    "npc": (60, "once"),
    "cppcc": (60, "once"),
    "letter": (ITEM_NORMAL_WORKDAYS, "once"),
    "superior": (ITEM_NORMAL_WORKDAYS, "once"),
    "other": (ITEM_DEFAULT_WORKDAYS, "monthly"),
}

# The address people reach the app at, for links in emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Cache: Redis (shared by every worker) with REDIS_URL, else this process's memory. The
# dashboard keeps a month's live figures here until the plan's data changes. The Redis cache
# fails soft (core/cache.py): an outage or a hang is a logged cache miss, never an error.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "qingdao_office",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 600)

# Demo accounts' password (load_demo).
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo12345")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Production hardening. HSTS and the HTTPS redirect are sent only when the operator says the
# site is served over HTTPS (HTTPS=true); a client's X-Forwarded-Proto alone never turns them
# on. Behind a TLS-terminating proxy that sets X-Forwarded-Proto (deploy/nginx), also set
# SECURE_PROXY_SSL_HEADER=true so Django knows which requests arrived over HTTPS. Government
# intranets that serve plain HTTP leave HTTPS unset.
HTTPS = env_bool("HTTPS", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
