"""Settings for the Peer Support Directory, driven by environment variables.

Development is the default (DEBUG on, SQLite, a throwaway key). Production is any run with
``DJANGO_DEBUG`` off: it refuses to start without a real secret key and allowed hosts.
"""

import ipaddress
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from peersupport.environment import env_bool, env_list, with_timeouts
from peersupport.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DJANGO_DEBUG", False)
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")

# What makes a production start unsafe is collected here rather than raised, so commands that
# serve nothing (makemigrations, migrate, collectstatic) work without secrets. Everything that
# serves refuses to start while this list is not empty: peersupport.wsgi and .asgi (gunicorn,
# and runserver through WSGI_APPLICATION), and `manage.py check --deploy` reports it.
STARTUP_PROBLEMS: list[str] = []

_DEV_KEY_PREFIX = "dev-insecure-"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        # Only for local development and tests: never accepted when DEBUG is off.
        SECRET_KEY = _DEV_KEY_PREFIX + "only-for-local-development-and-tests"
    else:
        # Left empty: Django itself refuses anything that would sign with it.
        STARTUP_PROBLEMS.append(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value, "
            "or set DJANGO_DEBUG=true for local development."
        )
elif (
    not DEBUG
    and not TESTING
    and (
        SECRET_KEY.startswith(_DEV_KEY_PREFIX) or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 10
    )
):
    STARTUP_PROBLEMS.append(
        "DJANGO_SECRET_KEY is too weak for production: use at least 50 random characters."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not TESTING and not ALLOWED_HOSTS:
    STARTUP_PROBLEMS.append("DJANGO_ALLOWED_HOSTS must list the site's host names.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "import_export",
    "axes",
    "django_ratelimit",
    "django_tasks_db",
    "directory",
]

MIDDLEWARE = [
    # First, so its request id and timing cover everything below (peersupport/logs.py).
    "peersupport.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, which serves static files already compressed: pages, JSON and
    # calendars (streamed too) are compressed here, with Django's BREACH mitigation.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "peersupport.security.PermissionsPolicyMiddleware",
    # Only sets a response header: above the health checks so they carry it too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Fail-safe (issue 12): /healthz and /readyz answered here, before host validation
    # (CommonMiddleware) and anything that reads the database or the cache; the HTTPS redirect
    # above exempts them (SECURE_REDIRECT_EXEMPT), and they still get the security headers.
    "directory.views.health.HealthCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the URL's prefix (English without one); it never sets a cookie.
    "django.middleware.locale.LocaleMiddleware",
    # Vary: Accept-Language on pages whose crisis lines followed the browser's language.
    "directory.edge.VaryOnAcceptLanguage",
    # The admin in the staff user's browser's language (the public pages: the URL's).
    "directory.edge.StaffLanguage",
    "django.middleware.common.CommonMiddleware",
    # Fail-safe (issue 12): query strings checked before any view reads them.
    "directory.edge.QueryStringGuard",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Fail-safe (issue 12): a database outage in a view is a 503 with Retry-After.
    "directory.failsafe.DatabaseOutageMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes checks every login attempt first and locks out repeated failures.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "peersupport.urls"
WSGI_APPLICATION = "peersupport.wsgi.application"

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
                "directory.context_processors.site",
                "django.template.context_processors.csp",  # the admin's nonces
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiler spends a second or more compiling the search's long time
    # conditions, which then run in milliseconds: switch it off for our connections (measured
    # with scripts/bench.py). DJANGO_PG_JIT=true turns it back on.
    if not env_bool("DJANGO_PG_JIT", False):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# --- An optional read replica for the public pages (peersupport/db_routing.py) ------------
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] == DATABASES["default"]["ENGINE"]:
        DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["peersupport.db_routing.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "peersupport.db_routing.ReplicaReadsMiddleware",
    )

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Rate limits on the public submission forms (django-ratelimit, counted in the "counters"
# cache; directory/ratelimit.py). The client address comes from directory.edge.client_address.
RATELIMIT_USE_CACHE = "counters"
RATELIMIT_ENABLE = env_bool("DIRECTORY_RATELIMIT_ENABLE", True)
# Submissions per client address (suggestions and reports together), as "count/period".
DIRECTORY_SUBMISSION_RATE = os.environ.get("DIRECTORY_SUBMISSION_RATE", "5/h")
# django-ratelimit's own checks want the django-redis package (W001: Django's RedisCache
# increments atomically too) and reject a per-process cache (E003) even for the dev server and
# tests. The rule that matters is ours: production needs a cache shared by every worker.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
if not (
    os.environ.get("REDIS_URL")
    or DEBUG
    or TESTING
    or env_bool("DIRECTORY_RATELIMIT_LOCAL_CACHE", False)
):
    STARTUP_PROBLEMS.append(
        "REDIS_URL is not set: the rate limit on public forms needs a cache shared by all "
        "workers (or set DIRECTORY_RATELIMIT_LOCAL_CACHE=true for a single-process deployment)."
    )

# Lockout after repeated failed logins (django-axes): per user name and client address, and
# per client address across user names (one address cannot try name after name).
AXES_FAILURE_LIMIT = int(os.environ.get("DIRECTORY_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("DIRECTORY_LOGIN_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "directory.edge.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/login_locked_out.html"
AXES_VERBOSE = env_bool("DIRECTORY_AXES_VERBOSE", False)  # no banner on every command

# CSV import/export of listings in admin: importing needs the "add" permission, exporting
# "view"; an editor's rows are limited to their organisations by the admin and the listing.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Spreadsheet files never carry a live formula: a cell starting with = + - @ tab or CR is
# written as text ('=...) and read back without the apostrophe (directory/spreadsheets.py,
# which says why the library's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT stays off).
from directory import spreadsheets  # noqa: E402

IMPORT_EXPORT_FORMATS = spreadsheets.FORMATS

IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# A control character stored in a name must not make the XLSX export fail: it becomes U+FFFD.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The public pages in English (unprefixed URLs) and Spanish (/es/...): the language is in the
# URL, never in a cookie or a session (docs/i18n.md). US English is the source language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# The visitor's country for crisis lines when nothing else says (ISO 3166-1 alpha-2).
DIRECTORY_DEFAULT_COUNTRY = os.environ.get("DIRECTORY_DEFAULT_COUNTRY", "US")

# The in-memory search index (docs/search.md): how often a process checks the database's
# search version, and whether a stale index is rebuilt in the background or before answering.
DIRECTORY_SEARCH_INDEX_CHECK_SECONDS = float(
    os.environ.get("DIRECTORY_SEARCH_INDEX_CHECK_SECONDS", "0.5")
)
DIRECTORY_SEARCH_INDEX_REFRESH = os.environ.get("DIRECTORY_SEARCH_INDEX_REFRESH", "background")
# Where the processes of one machine share a rebuilt index (one builds, the others load it);
# empty: each process builds its own. The index goes in a private (0700) directory of this
# user, checked for ownership, and is read without pickle (directory/search/freshness.py).
_SHM = "/dev/shm"  # noqa: S108 - see above
DIRECTORY_SEARCH_INDEX_SHARE_DIR = os.environ.get(
    "DIRECTORY_SEARCH_INDEX_SHARE_DIR", _SHM if os.path.isdir(_SHM) else ""
)
# The most rows one imported Meeting Guide feed may have (real ones hold hundreds to a few
# thousand; a bigger one is refused whole, changing nothing).
DIRECTORY_FEED_MAX_ROWS = int(os.environ.get("DIRECTORY_FEED_MAX_ROWS", "50000"))
# Feed previews and runs asked for in admin at once (they run in the task worker); more are
# refused with "try again in a minute".
DIRECTORY_FEED_JOBS_AT_ONCE = int(os.environ.get("DIRECTORY_FEED_JOBS_AT_ONCE", "2"))
# Where /meetings.json is built once per data version, compressed, for this machine's
# processes (directory/feeds/published.py); empty: the index's share directory, else /tmp.
DIRECTORY_FEED_CACHE_DIR = os.environ.get("DIRECTORY_FEED_CACHE_DIR", "")
if DIRECTORY_SEARCH_INDEX_REFRESH not in {"background", "inline"}:
    raise ImproperlyConfigured("DIRECTORY_SEARCH_INDEX_REFRESH must be 'background' or 'inline'.")

# Fetching feed sources' URLs (directory/services/fetching.py): only public internet addresses,
# unless an operator names a host or network here (a feed on the private network); the whole
# fetch, redirects included, ends after the deadline and at the byte cap.
DIRECTORY_FETCH_ALLOWED_HOSTS = [h.lower() for h in env_list("DIRECTORY_FETCH_ALLOWED_HOSTS")]
DIRECTORY_FETCH_ALLOWED_NETWORKS = env_list("DIRECTORY_FETCH_ALLOWED_NETWORKS")
for _network in DIRECTORY_FETCH_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"DIRECTORY_FETCH_ALLOWED_NETWORKS: {_network!r} is not an address or network."
        ) from None
DIRECTORY_FETCH_DEADLINE_SECONDS = float(os.environ.get("DIRECTORY_FETCH_DEADLINE_SECONDS", "20"))
DIRECTORY_FETCH_MAX_BYTES = int(float(os.environ.get("DIRECTORY_FETCH_MAX_MB", "20")) * 1024 * 1024)

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Tests and the dev server find static files where they live; production serves collectstatic's
# compressed, fingerprinted copies.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Django 6.1 mailers. SMTP options come from the environment when the SMTP backend is chosen.
_EMAIL_OPTIONS = {
    key: value
    for key, value in {
        "host": os.environ.get("DJANGO_EMAIL_HOST"),
        "port": int(os.environ["DJANGO_EMAIL_PORT"])
        if os.environ.get("DJANGO_EMAIL_PORT")
        else None,
        "username": os.environ.get("DJANGO_EMAIL_USER"),
        "password": os.environ.get("DJANGO_EMAIL_PASSWORD"),
        "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", False) or None,
    }.items()
    if value
}
# Production sends by SMTP and refuses to start without DJANGO_EMAIL_HOST, unless the operator
# says explicitly that this deployment sends no e-mail (DIRECTORY_EMAIL_DISABLED=true: curators
# then find new suggestions only in admin's queue). Development prints e-mails to the console.
DIRECTORY_EMAIL_DISABLED = env_bool("DIRECTORY_EMAIL_DISABLED", False)
_DEFAULT_EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or TESTING
    else "django.core.mail.backends.dummy.EmailBackend"
    if DIRECTORY_EMAIL_DISABLED
    else "django.core.mail.backends.smtp.EmailBackend"
)
MAILERS = {
    "default": {
        "BACKEND": os.environ.get("DJANGO_EMAIL_BACKEND") or _DEFAULT_EMAIL_BACKEND,
        "OPTIONS": _EMAIL_OPTIONS,
    }
}
if not (DEBUG or TESTING):
    if DIRECTORY_EMAIL_DISABLED:
        SILENCED_SYSTEM_CHECKS.append("mail.E001")  # the operator's explicit choice
    elif MAILERS["default"]["BACKEND"].endswith(".smtp.EmailBackend") and not _EMAIL_OPTIONS.get(
        "host"
    ):
        STARTUP_PROBLEMS.append(
            "DJANGO_EMAIL_HOST is not set: curators are told of new suggestions by e-mail. Set "
            "DJANGO_EMAIL_HOST (and DJANGO_EMAIL_PORT, _USER, _PASSWORD, _USE_TLS, "
            "DJANGO_DEFAULT_FROM_EMAIL), or DIRECTORY_EMAIL_DISABLED=true to run without e-mail."
        )
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "directory@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Who hears about new public suggestions and reports: these addresses plus every active
# member of the Curator group with an e-mail address. "Name <address>" or bare addresses.
ADMINS = env_list("DJANGO_ADMINS")
DIRECTORY_CURATOR_EMAILS = env_list("DIRECTORY_CURATOR_EMAILS")

# Anonymous visitors get no cookies: sessions only start for staff logins and forms.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    # Every subdomain of the site's host is HTTPS-only too (DJANGO_HSTS_INCLUDE_SUBDOMAINS=false
    # if one is not); preload only when the host is submitted to the browsers' preload list.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs go to stdout: JSON lines in production (DJANGO_LOG_FORMAT=json|plain to choose), each
# with its request id (peersupport/logs.py). Never a query string, form field or e-mail address.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT") or ("plain" if DEBUG or TESTING else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be 'json' or 'plain'.")
LOGGING = logging_config(LOG_FORMAT, os.environ.get("DJANGO_LOG_LEVEL", "INFO"))


# ----------------------------------------------------------------------------------------------
# Fail-safe (issue 12): timeouts, a cache that may fail, client addresses behind proxies, staff
# sessions, health checks. docs/operations.md explains each choice.

# Serving (gunicorn, runserver, tests) vs. commands: loaders and imports may run long queries.
_SERVING = TESTING or "gunicorn" in sys.argv[0] or sys.argv[1:2] == ["runserver"]
# Seconds: connecting to the database, and any one statement of a web request (0: no limit).
DIRECTORY_DB_CONNECT_TIMEOUT = int(os.environ.get("DIRECTORY_DB_CONNECT_TIMEOUT", "3"))
DIRECTORY_DB_STATEMENT_TIMEOUT = float(
    os.environ.get("DIRECTORY_DB_STATEMENT_TIMEOUT", "5" if _SERVING else "0")
)
for _database in DATABASES.values():  # the primary and the optional read replica alike
    with_timeouts(
        _database,
        connect_seconds=DIRECTORY_DB_CONNECT_TIMEOUT,
        statement_seconds=DIRECTORY_DB_STATEMENT_TIMEOUT,
    )

# "default" is an accelerator: while Redis is down it misses (directory/cache.py). "counters"
# holds the rate limit's shared counts and reports failures, so the limit can fall back.
if os.environ.get("REDIS_URL"):
    _REDIS_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
    CACHES = {
        "default": {
            "BACKEND": "directory.cache.ForgivingRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "OPTIONS": {**_REDIS_OPTIONS, "serializer": "directory.cache.ForgivingSerializer"},
        },
        "counters": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "OPTIONS": _REDIS_OPTIONS,
        },
    }
else:
    CACHES["counters"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
# Per process, while the shared counters are unavailable: stricter than the shared rate.
DIRECTORY_SUBMISSION_FALLBACK_RATE = os.environ.get("DIRECTORY_SUBMISSION_FALLBACK_RATE", "2/h")

# Proxies in front of the site: "" (none: REMOTE_ADDR is the client), a count ("1": one load
# balancer) or comma-separated networks ("10.0.0.0/8,192.168.0.0/16"). directory/edge.py.
DIRECTORY_TRUSTED_PROXIES = os.environ.get("DIRECTORY_TRUSTED_PROXIES", "")
# Variables the application no longer reads: a deployment still setting one refuses to start
# rather than silently run without what the operator meant (tests/test_container.py checks
# that compose.yaml and deploy/env.example set none of them).
RETIRED_ENVIRONMENT = {
    "DIRECTORY_RATELIMIT_IP_META_KEY": "set DIRECTORY_TRUSTED_PROXIES "
    "(the number or networks of your proxies) instead.",
}
for _name, _instead in RETIRED_ENVIRONMENT.items():
    if os.environ.get(_name):
        STARTUP_PROBLEMS.append(f"{_name} is no longer read: {_instead}")
try:
    from directory.edge import _trusted

    _trusted(DIRECTORY_TRUSTED_PROXIES)
except ValueError as _error:
    raise ImproperlyConfigured(f"DIRECTORY_TRUSTED_PROXIES: {_error}") from None

# Staff sessions (anonymous visitors have none): at most 12 hours, and by default they end
# when the browser closes.
SESSION_COOKIE_AGE = min(int(float(os.environ.get("DJANGO_SESSION_HOURS", "12")) * 3600), 12 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", True)

# Health checks over plain HTTP from the container itself (HEALTHCHECK, load balancers).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
DIRECTORY_READYZ_TIMEOUT = float(os.environ.get("DIRECTORY_READYZ_TIMEOUT", "2"))

# --- Content-Security-Policy, Permissions-Policy (docs/deploy.md) ---------------------------
# Every script and style is a file of ours: no inline code, no 'unsafe-*'. The nonce is only
# sent on pages that use one (Django admin's own <script>/<style> tags); public pages use none.
from django.utils.csp import CSP  # noqa: E402

CSP_REPORT_URL = "/csp-report"
CSP_REPORT_RATE = os.environ.get("DIRECTORY_CSP_REPORT_RATE", "20/m")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
    "report-uri": [CSP_REPORT_URL],
    "report-to": "csp",
}
# Geolocation for our own pages ("Use my location"); every other powerful feature off. Only
# features Chromium knows: it logs an error for any other ("bluetooth" is not a policy-
# controlled feature there), tests/browser/test_csp.py.
PERMISSIONS_POLICY = {"geolocation": ["self"]} | {
    feature: []
    for feature in (
        "accelerometer autoplay browsing-topics camera display-capture encrypted-media "
        "fullscreen gyroscope hid idle-detection magnetometer microphone midi payment "
        "picture-in-picture publickey-credentials-get screen-wake-lock serial usb "
        "xr-spatial-tracking"
    ).split()
}

# --- Stateless web processes (docs/deploy.md): any replica may serve any request -----------
# Sessions live in the database (Django's default engine); the CSV import's uploaded file
# waits for its confirmation in the shared cache, not on one container's disk.
# Kept an hour, and at most DIRECTORY_IMPORT_MAX_MB per file (the cache is shared with the
# rate-limit counters).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "directory.admin.importexport.ImportFileStorage"
DIRECTORY_IMPORT_MAX_MB = int(os.environ.get("DIRECTORY_IMPORT_MAX_MB", "5"))

# --- Background tasks (directory/tasks.py, docs/deploy.md) ----------------------------------
# Production queues them in the database and `manage.py db_worker` runs them (compose's
# worker service); development and tests run each at once, in process.
DIRECTORY_TASKS_BACKEND = os.environ.get("DIRECTORY_TASKS_BACKEND") or (
    "immediate" if DEBUG or TESTING else "database"
)
_TASK_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if DIRECTORY_TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured("DIRECTORY_TASKS_BACKEND must be 'immediate' or 'database'.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[DIRECTORY_TASKS_BACKEND]}}
