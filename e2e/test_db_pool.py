"""One uvicorn process never holds more PostgreSQL connections than DB_POOL_MAX.

Under ASGI each request runs in a thread of its own; with persistent connections
(conn_max_age) every such thread left a connection open, and 16 logged-in clients took
PostgreSQL to max_connections and got 500s. Here a real server with a pool of 4 answers
32 concurrent logged-in clients; pg_stat_activity, sampled all along, never shows more
than 4 connections to its database, and no request gets a 5xx.
"""

import http.client
import os
import subprocess
import sys
import threading
import urllib.parse

import pytest

from e2e.conftest import ROOT, SERVER_ENV_DROP, free_port, stop, uvicorn_command, wait_for_health

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="the connection pool is PostgreSQL's (DATABASE_URL)"),
]

BOUND = 4
CLIENTS = 32
REQUESTS_PER_CLIENT = 8
PAGES = ["/", "/notifications/", "/forum/", "/courses/", "/pledges/"]
# Far above the bound: stop the server rather than exhaust a PostgreSQL shared with others.
GUARD = 3 * BOUND

SESSIONS = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
for user in User.objects.filter(memberships__ended_on__isnull=True).order_by("pk")[:%d]:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    print("KEY", store.session_key)
"""


def admin_url() -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))


@pytest.fixture(scope="module")
def pool_database():
    import psycopg

    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = f"{url.path.lstrip('/') or 'chibo'}_pool_{os.getpid()}"
    with psycopg.connect(admin_url(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(url._replace(path=f"/{name}")), name
    finally:
        with psycopg.connect(admin_url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pool_server(pool_database, tmp_path_factory):
    url, name = pool_database
    workdir = tmp_path_factory.mktemp("pool")
    env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV_DROP}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        DATABASE_URL=url,
        DB_POOL_MIN="1",
        DB_POOL_MAX=str(BOUND),
        DB_POOL_TIMEOUT="30",
        MEDIA_ROOT=str(workdir / "media"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )

    def manage(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout

    manage("migrate", "--noinput", "-v0")
    manage("seed_demo")
    cookies = [line.split()[1] for line in manage("shell", "-c", SESSIONS % CLIENTS).splitlines() if "KEY " in line]
    assert len(cookies) == CLIENTS
    port = free_port()
    log = workdir / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(uvicorn_command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process, log)
        yield {"port": port, "database": name, "cookies": cookies, "process": process, "log": log}
    finally:
        stop(process)


class Sampler(threading.Thread):
    """The number of connections to the server's database, every 10 ms, and the largest seen."""

    def __init__(self, database: str, on_too_many) -> None:
        super().__init__(daemon=True)
        self.database, self.on_too_many = database, on_too_many
        self.peak, self.samples = 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        import psycopg

        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        with psycopg.connect(admin_url(), autocommit=True) as connection:
            while not self.done.is_set():
                now = connection.execute(query, (self.database,)).fetchone()[0]
                self.peak, self.samples = max(self.peak, now), self.samples + 1
                if now > GUARD:
                    self.on_too_many()
                self.done.wait(0.01)


def client(port: int, cookie: str, statuses: list[int]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"}
    for number in range(REQUESTS_PER_CLIENT):
        try:
            connection.request("GET", PAGES[number % len(PAGES)], headers=headers)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        except (OSError, http.client.HTTPException):
            statuses.append(0)  # no answer at all counts as a failure
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def test_many_concurrent_clients_never_take_more_connections_than_the_pool(pool_server):
    statuses: list[int] = []
    sampler = Sampler(pool_server["database"], pool_server["process"].terminate)
    sampler.start()
    try:
        clients = [
            threading.Thread(target=client, args=(pool_server["port"], cookie, statuses))
            for cookie in pool_server["cookies"]
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in clients), "clients still waiting after 120 s"
    finally:
        sampler.done.set()
        sampler.join(timeout=5)
    failures = [status for status in statuses if not 200 <= status < 400]
    assert len(statuses) == CLIENTS * REQUESTS_PER_CLIENT
    assert not failures, f"{len(failures)} failed answers: {sorted(set(failures))}"
    assert sampler.samples > 0 and sampler.peak >= 1  # it did see the server's connections
    assert sampler.peak <= BOUND, f"the server held {sampler.peak} connections; the pool allows {BOUND}"
