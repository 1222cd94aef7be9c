"""Settings read from the environment: production passes `check --deploy`, bad values stop
start-up naming the variable, and the Content-Security-Policy allows only our own scripts and styles.

Settings are read once per process, so every environment is tried in a fresh `manage.py`.
"""

import ast
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTROLLED = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "SQLITE_PATH",
    "EMAIL_HOST",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "DB_POOL_MIN",
    "DB_POOL_MAX",
    "DB_POOL_TIMEOUT",
    "TRUSTED_PROXIES",
    "HTTP_THREADS",
)


def random_secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(50))


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key not in CONTROLLED}
    environ.update(env, DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )


PRODUCTION = {"DEBUG": "0", "ALLOWED_HOSTS": "example.org"}
ON_POSTGRES = {"DATABASE_URL": "postgres://chibo:hunter2-secret@db.example.org:5432/chibo"}


@pytest.mark.parametrize(
    "scale_out",
    [
        {},
        {
            "DATABASE_URL": "postgres://chibo:pw@db.example.org:5432/chibo",
            "REDIS_URL": "redis://cache.example.org:6379/0",
        },
    ],
    ids=["embedded", "postgres-redis"],
)
def test_it_passes_the_deploy_check_with_production_settings(scale_out):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=random_secret_key(), **PRODUCTION, **scale_out
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({**PRODUCTION}, "SECRET_KEY"),
        ({**PRODUCTION, "SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "k" * 60}, "ALLOWED_HOSTS"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://chibo:hunter2-secret@db/chibo"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://chibo:hunter2-secret@db:notaport/chibo"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://:hunter2-secret@cache:6379/0"}, "REDIS_URL"),
        ({**ON_POSTGRES, "DB_POOL_MAX": "0"}, "DB_POOL_MAX"),
        ({**ON_POSTGRES, "DB_POOL_MAX": "lots"}, "DB_POOL_MAX"),
        ({**ON_POSTGRES, "DB_POOL_MIN": "8", "DB_POOL_MAX": "4"}, "DB_POOL_MIN"),
        ({**ON_POSTGRES, "DB_POOL_TIMEOUT": "0"}, "DB_POOL_TIMEOUT"),
        ({**ON_POSTGRES, "DB_POOL_TIMEOUT": "soon"}, "DB_POOL_TIMEOUT"),
        ({"TRUSTED_PROXIES": "10.0.0.1,nginx"}, "TRUSTED_PROXIES"),
        ({"HTTP_THREADS": "-1"}, "HTTP_THREADS"),
        ({"HTTP_THREADS": "many"}, "HTTP_THREADS"),
        ({**ON_POSTGRES, "DB_POOL_MAX": "4", "HTTP_THREADS": "4"}, "HTTP_THREADS"),
    ],
    ids=[
        "missing-secret-key",
        "short-secret-key",
        "missing-allowed-hosts",
        "bad-debug",
        "database-url-not-postgres",
        "database-url-unreadable",
        "redis-url-not-redis",
        "pool-max-zero",
        "pool-max-not-a-number",
        "pool-min-above-max",
        "pool-timeout-zero",
        "pool-timeout-not-a-number",
        "trusted-proxies-not-addresses",
        "http-threads-negative",
        "http-threads-not-a-number",
        "http-threads-not-below-pool",
    ],
)
def test_it_refuses_to_start_with_a_bad_or_missing_value(env, variable):
    result = manage("check", **env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert variable in last_line
    # The message ends up in logs: it must not repeat a password from the URL.
    assert "hunter2-secret" not in result.stderr


def test_on_postgresql_each_process_has_one_bounded_pool_and_no_persistent_connections():
    code = (
        "from django.conf import settings; db = settings.DATABASES['default'];"
        "print(db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'], db['OPTIONS']['pool'], db['OPTIONS']['application_name'])"
    )
    result = manage("shell", "-c", code, **ON_POSTGRES, DB_POOL_MIN="1", DB_POOL_MAX="7", DB_POOL_TIMEOUT="2.5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "0 True {'min_size': 1, 'max_size': 7, 'timeout': 2.5} chibo"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "8 None"),
        ({"HTTP_THREADS": "0"}, "0 0"),
        ({**ON_POSTGRES}, "8 0"),
        ({**ON_POSTGRES, "DB_POOL_MAX": "4"}, "3 0"),
        ({**ON_POSTGRES, "DB_POOL_MAX": "4", "HTTP_THREADS": "2"}, "2 0"),
    ],
    ids=["embedded", "embedded-asgi", "postgres", "postgres-small-pool", "postgres-chosen"],
)
def test_http_threads_stay_below_the_pool_and_keep_their_sqlite_connections(env, expected):
    # HTTP threads are reused: on SQLite each keeps its connection (CONN_MAX_AGE None); on
    # PostgreSQL the pool is the persistence, and a thread must never wait for a connection.
    code = "from django.conf import settings as s; print(s.HTTP_THREADS, s.DATABASES['default']['CONN_MAX_AGE'])"
    result = manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == expected


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
def test_it_allows_scripts_and_styles_from_self_only(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    directives = _directives(response["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_it_keeps_idle_sockets_alive_on_redis():
    # redis-py 8 defaults to a 5 s read timeout, the same as the 5 s BZPOPMIN of a channel-layer
    # receive, so an idle socket would die every ~5 s. The pool's timeout must exceed the block.
    from channels_redis.core import RedisChannelLayer
    from channels_redis.utils import create_pool, decode_hosts

    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(repr(settings.CHANNEL_LAYERS))"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "REDIS_URL": "redis://127.0.0.1:6379/9"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    layer = ast.literal_eval(result.stdout.strip())["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    (host,) = decode_hosts(layer["CONFIG"]["hosts"])
    pool = create_pool(host)
    assert pool.connection_kwargs["socket_timeout"] > RedisChannelLayer.brpop_timeout
    assert pool.connection_kwargs["db"] == 9
