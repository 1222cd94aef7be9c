"""Settings for Chi bộ số: one file, read from the environment.

With no variables at all this is the embedded default: DEBUG on, SQLite in WAL mode,
an in-memory channel layer, a local-memory cache and e-mail printed to the console.
Production is reached by variables only; `.env.example` lists every one of them.
A bad or missing required value stops start-up with a message naming the variable.
"""

import ipaddress
import os
import warnings
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from config.release import release_digest

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = env_str(name)
    if not raw:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production-0123456789"
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
for origin in CSRF_TRUSTED_ORIGINS:
    if urlparse(origin).scheme not in {"http", "https"}:
        raise ImproperlyConfigured(f"CSRF_TRUSTED_ORIGINS entries must start with http:// or https://, not {origin!r}.")

# Addresses (or networks, 10.0.0.0/8) of the reverse proxies in front of the app. Only a
# request whose direct peer is one of them has its X-Forwarded-For and X-Forwarded-Proto
# read (core.middleware.ClientAddressMiddleware); from anyone else they are dropped, so a
# client cannot choose the address that rate limits count. Empty: no proxy is trusted.
TRUSTED_PROXIES = []
for _entry in env_list("TRUSTED_PROXIES"):
    try:
        TRUSTED_PROXIES.append(ipaddress.ip_network(_entry, strict=False))
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES entries must be IP addresses or networks: {_entry!r}.") from None

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if urlparse(SITE_URL).scheme not in {"http", "https"} or not urlparse(SITE_URL).netloc:
    raise ImproperlyConfigured(f"SITE_URL must be an absolute http(s) URL, not {SITE_URL!r}.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "treebeard",
    "csp",
    "core",
    "accounts",
    "cells",
    "notifications",
    "courses",
    "pledges",
    "forum",
    "reports",
]

MIDDLEWARE = [
    "core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below static files (which read no generation nor session), above everything that does.
    "core.middleware.CacheGenerationsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "core.middleware.PrivateCacheMiddleware",
    "core.middleware.OutboxOwnerMiddleware",
    # Last on purpose: it is sync-only. Under ASGI, Django keeps async-capable middleware
    # below a sync-only one in async mode; with this one higher up, messages, XFrame and CSP
    # (MiddlewareMixin) ran async and passed each of their process_request/process_response
    # calls to a thread and back. Innermost, every middleware runs in the request's thread;
    # only Django's own view dispatch (process_view, the view) still goes through the loop.
    "accounts.middleware.LanguageMiddleware",
    # Innermost too (sync-only, and it needs the language): a reader's unchanged page again.
    "core.middleware.PageCacheMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "asgi.application"

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
                "django.template.context_processors.i18n",
                "core.context_processors.site",
                "accounts.context_processors.account",
                "cells.context_processors.menu",
                "notifications.context_processors.bell",
            ],
        },
    },
]

# --- Serving HTTP ---------------------------------------------------------------------------
# asgi.py: HTTP through Django's WSGI handler on this many reused threads per process (a2wsgi);
# 0 = Django's ASGI handler, a fresh thread per request. WebSockets are ASGI either way.
HTTP_THREADS_DEFAULT = 8
HTTP_THREADS = env_int("HTTP_THREADS", HTTP_THREADS_DEFAULT)
if not 0 <= HTTP_THREADS <= 64:
    raise ImproperlyConfigured(f"HTTP_THREADS must be between 0 and 64, not {HTTP_THREADS}.")

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    import dj_database_url

    if urlparse(DATABASE_URL).scheme not in {"postgres", "postgresql", "pgsql"}:
        # Name the scheme only: the URL may hold a password and this message ends up in logs.
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a postgres:// URL, not {urlparse(DATABASE_URL).scheme or 'no scheme'}://..."
        )
    try:
        # No persistent connections: under ASGI each request runs in a thread of its own, and
        # a connection kept per thread (conn_max_age) piled up to PostgreSQL's max_connections.
        # Each process has one pool instead, bounded by DB_POOL_MAX (see .env.example).
        # With the pool, health checks make it test a connection before handing it out, so a
        # connection PostgreSQL closed (a restart, an idle timeout) is replaced, not used.
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
    except Exception as exc:  # dj-database-url raises several kinds
        raise ImproperlyConfigured(
            f"DATABASE_URL could not be read ({type(exc).__name__}): check its host, port and %-quoting."
        ) from None
    DB_POOL_MIN = env_int("DB_POOL_MIN", 2)
    DB_POOL_MAX = env_int("DB_POOL_MAX", 10)
    DB_POOL_TIMEOUT = env_float("DB_POOL_TIMEOUT", 10.0)
    if DB_POOL_MAX < 1:
        raise ImproperlyConfigured(f"DB_POOL_MAX must be at least 1, not {DB_POOL_MAX}.")
    if not 0 <= DB_POOL_MIN <= DB_POOL_MAX:
        raise ImproperlyConfigured(f"DB_POOL_MIN must be between 0 and DB_POOL_MAX ({DB_POOL_MAX}), not {DB_POOL_MIN}.")
    if not 0 < DB_POOL_TIMEOUT <= 300:
        raise ImproperlyConfigured(f"DB_POOL_TIMEOUT must be between 0 and 300 seconds, not {DB_POOL_TIMEOUT}.")
    if HTTP_THREADS >= DB_POOL_MAX:
        if env_str("HTTP_THREADS"):
            raise ImproperlyConfigured(
                f"HTTP_THREADS ({HTTP_THREADS}) must be below DB_POOL_MAX ({DB_POOL_MAX}): each HTTP thread "
                "holds a connection while it answers, and the sockets need one too."
            )
        HTTP_THREADS = DB_POOL_MAX - 1  # the default follows a small pool
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        # Named in pg_stat_activity, so an operator can count this site's connections.
        "application_name": env_str("DB_APPLICATION_NAME", "chibo"),
        "pool": {
            "min_size": DB_POOL_MIN,
            "max_size": DB_POOL_MAX,
            # A request waits this long for a free connection, then fails (a 500).
            "timeout": DB_POOL_TIMEOUT,
        },
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # Kept open by each thread of the HTTP pool (HTTP_THREADS), which are reused.
            "CONN_MAX_AGE": None if HTTP_THREADS else 0,
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # WAL lets readers and one writer work at once; IMMEDIATE avoids
                # "database is locked" on upgrade from read to write inside a transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and channel layer -----------------------------------------------------------------
# Every cache key starts with CACHE_KEY_PREFIX and this release's digest (config/release.py):
# a deploy never reads values pickled by the code it replaced, even on a Redis that kept them.
CACHE_RELEASE = release_digest(BASE_DIR, SECRET_KEY)
CACHE_KEY_PREFIX = f"{env_str('CACHE_KEY_PREFIX', 'chibo')}:{CACHE_RELEASE}"
# On the embedded default (LocMem cache), a management command tells the server that it
# changed cached data by replacing this file (core.cache: check_epoch, touch_epoch).
CACHE_EPOCH_FILE = None
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if urlparse(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"REDIS_URL must be a redis:// URL, not {urlparse(REDIS_URL).scheme or 'no scheme'}://..."
        )
    CACHES = {
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",  # one connection pool per process
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, the same as the 5 s
                # BZPOPMIN a channel-layer receive blocks on: idle sockets then die every ~5 s
                # (django/channels_redis#422). Read timeout above it, so dead links still fail.
                # redis-py 8 bounds a pool to 100 connections and refuses the 101st at once:
                # hundreds of sockets joining their groups together (a restart under load)
                # failed to connect. Redis allows 10,000 clients; size processes x this below.
                "hosts": [
                    {"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5, "max_connections": 1000}
                ],
                "prefix": env_str("CHANNEL_PREFIX", "chibo"),
                "capacity": 1000,
                "expiry": 60,
            },
        }
    }
else:
    # Sessions, users, roles and page parts live here (core.cache): room for a few thousand
    # active users (Django's default of 300 entries thrashed at 50).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
    # Next to the SQLite database (on PostgreSQL without Redis: next to the code).
    CACHE_EPOCH_FILE = str(BASE_DIR / ".cache-epoch") if DATABASE_URL else f"{DATABASES['default']['NAME']}-cache-epoch"
    CHANNEL_LAYERS = {"default": {"BACKEND": "core.layers.AmortizedInMemoryChannelLayer"}}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends with the logged-in user cached (accounts.backends).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# allauth's "unknown account" e-mail invites the reader to sign up, and sign-up is closed.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# allauth keeps these counters in Django's cache, so with REDIS_URL they hold across processes.
ACCOUNT_RATE_LIMITS = {
    # Per address and per account; LOGIN_FAILED_LIMIT changes it (allauth's syntax).
    "login_failed": env_str("LOGIN_FAILED_LIMIT") or "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Chi bộ số] "
# Lifetimes of the one-time links that set a password (accounts/tokens.py), in seconds:
# a reset link an hour (whoever asks is at their mailbox now), an invitation three days
# (the secretary can send it again from the member's page).
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.tokens.TokenGenerator"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
INVITATION_TIMEOUT = env_int("INVITATION_TIMEOUT", 3 * 24 * 3600)
# A printed invitation slip (accounts.models.InvitationSlip) lives 14 days: it goes from the
# secretary's hand to the member's at the next meeting. Wrong codes typed on the public page
# are limited per IP address: SLIP_FAILURE_LIMIT per SLIP_FAILURE_WINDOW seconds.
INVITATION_SLIP_TIMEOUT = env_int("INVITATION_SLIP_TIMEOUT", 14 * 24 * 3600)
SLIP_FAILURE_LIMIT = env_int("SLIP_FAILURE_LIMIT", 10)
SLIP_FAILURE_WINDOW = env_int("SLIP_FAILURE_WINDOW", 15 * 60)
for _name, _value in (
    ("PASSWORD_RESET_TIMEOUT", PASSWORD_RESET_TIMEOUT),
    ("INVITATION_TIMEOUT", INVITATION_TIMEOUT),
    ("INVITATION_SLIP_TIMEOUT", INVITATION_SLIP_TIMEOUT),
):
    if _value < 60:
        raise ImproperlyConfigured(f"{_name} must be at least 60 seconds, not {_value}.")

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Chi bộ số <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Web Push (notifications/push.py): `manage.py make_vapid_keys` makes a pair; none, no push
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:admin@localhost")
PUSH_ALLOW_HTTP = env_bool("PUSH_ALLOW_HTTP", False)  # tests' loopback push service only

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "vi"
# Dates as Vietnamese write them (27/11/2026, 14:05), shown and typed the same way everywhere.
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "core.staticfiles.MinifiedStaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_AGE = 30 * 24 * 3600
# Sessions are read from the cache and written through to the database: a logged-in page
# makes no session query, and a flushed cache or a restart loses nobody's login.
SESSION_ENGINE = "core.sessions"  # cached_db, read with the request's generations (core.sessions)
if not DEBUG:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# WhiteNoise hands Django a file iterator that ASGI reads in a thread: correct, only slower.
# Behind a proxy the proxy serves /static/; the embedded default accepts the cost quietly.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
