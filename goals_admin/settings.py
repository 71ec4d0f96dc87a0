"""Settings for Goals Admin, read from environment variables with safe development defaults.

Production sets DEBUG=0, a real SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; see README.md.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", "1")

# Development falls back to a key that is useless anywhere else; production must bring its own.
DEVELOPMENT_SECRET_KEY = "development-only-insecure-key"
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "Set SECRET_KEY to a random value of at least 50 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS to the site's host names when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver (make run) leaves static files to whitenoise too, which adds their headers.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "oauth2_provider",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "accounts",
    "goals",
    "conversions",
    "tracking",
]

MIDDLEWARE = [
    # First: a load balancer's health check needs no host name, session or HTTPS redirect.
    "infra.health.HealthCheckMiddleware",
    "infra.request_log.RequestLogMiddleware",
    "infra.body_limit.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lets a goal's history know the request that changed it: who, and through which door.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "infra.csp.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it answers the sign-in attempts that its backend refused.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "goals_admin.urls"
WSGI_APPLICATION = "goals_admin.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Each app server keeps its connection for this many seconds instead of opening one a
        # request; a connection that broke meanwhile is noticed before the next request uses it.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's default cost of a random read (4) is a spinning disk's: on SSDs it prefers
    # reading a whole table of touches to looking up a batch's visitors in their index.
    DATABASES["default"]["OPTIONS"] = {
        "options": f"-c random_page_cost={os.environ.get('POSTGRES_RANDOM_PAGE_COST', '1.1')}"
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite takes its write lock at BEGIN IMMEDIATE, so concurrent writers queue up (for as
    # long as the timeout) instead of failing mid-transaction: this is what serializes the
    # active-goal limit there, where SELECT ... FOR UPDATE does nothing.
    # In WAL mode readers and the writer go on side by side: a download read slowly, in a
    # transaction of its own (conversions.reports.snapshot), holds off no write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL",
    }
    # Tests use a file, not memory, so that a live server's threads hold connections of their
    # own; one file a test process, so that two test runs on one machine never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"goals-admin-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins (pages, admin and HTTP Basic alike) and refuses locked-out ones.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed, compressed copies made by collectstatic (make serve runs it).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# In development whitenoise serves the files where they lie, as runserver does.
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = DEBUG


def tracking_script_headers(headers: dict, path: str, url: str) -> None:
    """The tracking snippet's script is loaded by the pages of the accounts' websites: allowed
    there even where a site isolates itself (Cross-Origin-Embedder-Policy: require-corp)."""
    if url.startswith(f"/{STATIC_URL}tracking/"):
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"


WHITENOISE_ADD_HEADERS_FUNCTION = tracking_script_headers

# The cache is an optimisation, never a source of truth (README.md, "Caches"): the API's
# serialized goals, recent Basic sign-ins and the rate-limit counters. Every app server must see the
# same counters, so it is shared: Redis when REDIS_URL is set, else a table in the database. A Redis
# that is down or slow makes every operation a miss, logged: reads come from the database and
# writes still succeed.
REDIS_URL = os.environ.get("REDIS_URL", "")
# A request makes up to five cache operations: a Redis that does not answer costs each this long.
REDIS_TIMEOUT_SECONDS = float(os.environ.get("REDIS_TIMEOUT_SECONDS", "0.1"))


def redis_cache(url: str) -> dict:
    """A django-redis cache at url that misses, logged, while Redis is out of reach."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        # Deployments that share one Redis keep apart by their prefixes.
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", ""),
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT_SECONDS,
            "SOCKET_TIMEOUT": REDIS_TIMEOUT_SECONDS,
        },
    }


CACHES = {
    "default": redis_cache(REDIS_URL)
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# HTTPS and browser protections. Behind a load balancer that ends TLS, set
# SECURE_PROXY_SSL_HEADER=1 so Django trusts its X-Forwarded-Proto header.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", "0" if DEBUG else "1")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("SECURE_PROXY_SSL_HEADER", "0"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", "1")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its form controls with small data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Failed sign-ins lock out an email from one address after AXES_FAILURE_LIMIT tries, for
# AXES_COOLOFF_MINUTES; `manage.py axes_reset_username EMAIL` unlocks sooner.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_of"
# Behind load balancers, count each client's own address, not the balancer's: PROXY_COUNT is how
# many proxies append themselves to X-Forwarded-For before Django.
# django-ipware reads it: X-Forwarded-For must then be "<client>, <proxy 1>, ...", one address a
# proxy. Without proxies, only the connection's own address counts: a header anyone can send
# would let a caller pick the address it is counted under.
if PROXY_COUNT := int(os.environ.get("PROXY_COUNT", "0")):
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read goals", "write": "Create, change and delete goals"},
    "DEFAULT_SCOPES": ["read", "write"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("OAUTH_TOKEN_SECONDS", "3600")),
    # Only the client-credentials grant is used; the rest follows the OAuth 2.0 security BCP
    # (RFC 9700), tokens stored hashed included.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "goals:list"
LOGOUT_REDIRECT_URL = "login"


CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Request bodies past this size are refused (413) before they are parsed (infra.body_limit).
REQUEST_BODY_LIMIT = int(os.environ.get("REQUEST_BODY_LIMIT", str(256 * 1024)))
# The views that receive batches of page views and chats take more: 1,000 page views with long
# URLs, or 200 chats with their history.
INGEST_BODY_LIMIT = int(os.environ.get("INGEST_BODY_LIMIT", str(16 * 1024 * 1024)))
# Django's own cap, which DRF's parsers meet too (they read request.body), is the largest body a
# view takes: the middleware holds every other view to its own limit first.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(REQUEST_BODY_LIMIT, INGEST_BODY_LIMIT)

# The incremental conversions export shows a conversion this many seconds after it changed, once
# no transaction can still be writing others stamped with the same second (conversions.selectors).
CONVERSIONS_EXPORT_DELAY = int(os.environ.get("CONVERSIONS_EXPORT_DELAY", "30"))

# The tracking snippet's collect endpoint (tracking.collect): each address may send this many page
# views (the rate's period is its first letter: s, m, h, d), each a body of at most this many bytes.
TRACKING_RATE_LIMIT = os.environ.get("TRACKING_RATE_LIMIT", "300/min")
TRACKING_BODY_LIMIT = int(os.environ.get("TRACKING_BODY_LIMIT", "16384"))
# With REDIS_URL set, the endpoint appends page views to this Redis stream and
# `manage.py ingest_worker` stores them (tracking.stream); it claims the entries of a worker that
# died after this many seconds.
TRACKING_STREAM = os.environ.get("TRACKING_STREAM", "goals-admin:page-views")
TRACKING_CLAIM_SECONDS = float(os.environ.get("TRACKING_CLAIM_SECONDS", "60"))

# Background work (README.md, "Background work"): jobs of the Celery task queue, such as a goal's
# conversions recomputed over all stored data. With REDIS_URL set they go through Redis to
# `make worker`; without, there is no worker and each runs eagerly, inside the change that asks.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "goals-admin")
# A job is acknowledged when it ends, not when it starts: one whose worker dies goes back to the
# queue (at once if the pool's process died; after the visibility timeout if the whole worker
# did) and runs again, which a job allows (conversions.jobs).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300"))
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A job sent while Redis is out of reach fails within a second instead of holding the request
# (conversions.jobs.ask says what then).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# How many enabled goals a new account may have; each account keeps its own copy of the figure.
GOALS_ACTIVE_LIMIT = int(os.environ.get("GOALS_ACTIVE_LIMIT", "5"))

REST_FRAMEWORK = {
    # Basic comes first so that a request without credentials is answered 401 with
    # WWW-Authenticate: Basic, as the reference's curl examples expect.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "goals.api.authentication.BasicAuthentication",
        "goals.api.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "goals.api.permissions.MayManageGoals",
        "goals.api.permissions.TokenScopeAllowsMethod",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["goals.api.throttling.ApiRateThrottle"],
    # The public API's figure: 200 requests a minute for each user or API client.
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("API_RATE_LIMIT", "200/min")},
    "DEFAULT_PARSER_CLASSES": ["goals.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "goals.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NON_FIELD_ERRORS_KEY": "body",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Goals API",
    "DESCRIPTION": (
        "URL goals whose conversions are credited to chat agents by first-touch or last-touch "
        "attribution. An account may have a limited number of enabled goals (5 by default)."
    ),
    "VERSION": "2",
    "OAS_VERSION": "3.1.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AttributionModel": "goals.models.AttributionModel",
        "ConditionType": "goals.models.ConditionType",
        "Operator": "goals.models.Operator",
        "ChatType": ["chat", "offline_msg"],
    },
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["goals.api.schema.document_canonical_paths"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        }
    },
    "filters": {"no_runserver_request_lines": {"()": "infra.request_log.NoRunserverRequestLines"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Each record printed once, by the root's handler: Django's own (DEFAULT_LOGGING) would print
    # the "django" loggers' records a second time, to standard error.
    "loggers": {
        "django": {"handlers": [], "level": "NOTSET"},
        # A 4xx is in the request log already; errors (5xx, with their traceback) still come.
        "django.request": {"level": "ERROR"},
        # `make run`: runserver's line for each request would repeat the request log's, with the
        # query string; its other messages (a broken pipe, HTTPS sent to it) still come.
        "django.server": {
            "handlers": [],
            "level": "NOTSET",
            "propagate": True,
            "filters": ["no_runserver_request_lines"],
        },
        # django-axes tells of every sign-in in four lines; its warnings (a lockout) still come.
        "axes": {"level": "WARNING"},
    },
}
