"""Scale-out: two ASGI processes sharing PostgreSQL and Redis behave as one site.

A member's socket is open on process 1 (and one on process 2); what happens through process 2
or a third process reaches it, and never reaches another member's socket. Runs only when
DATABASE_URL and REDIS_URL are set (the second CI pass). It works in a database of its own,
created next to DATABASE_URL's and dropped at the end, with a Redis prefix of its own.
"""

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from e2e.conftest import (
    DEMO_PASSWORD,
    ROOT,
    SERVER_ENV_DROP,
    free_port,
    server_redis_url,
    stop,
    uvicorn_command,
    wait_for_health,
)

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="the scale-out test needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis) to share between processes",
    ),
]


@pytest.fixture(scope="module")
def scaleout_database():
    import psycopg

    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = f"{url.path.lstrip('/') or 'chibo'}_scaleout_{os.getpid()}"
    admin_url = urllib.parse.urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(url._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def two_servers(scaleout_database, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("scaleout")
    prefix = f"chibo-scaleout-{os.getpid()}-{secrets.token_hex(3)}"
    env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV_DROP}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        DATABASE_URL=scaleout_database,
        REDIS_URL=server_redis_url() or os.environ["REDIS_URL"],
        CHANNEL_PREFIX=prefix,
        CACHE_KEY_PREFIX=prefix,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    for args in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    processes, urls = [], []
    try:
        for number in (1, 2):
            port = free_port()
            log = workdir / f"server{number}.log"
            with log.open("w") as out:
                process = subprocess.Popen(
                    uvicorn_command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
            wait_for_health(urls[-1], process, log)
        yield {"urls": urls, "env": env, "pids": [p.pid for p in processes]}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            stop(process)


class Browserless:
    """Just enough of a browser for the allauth form: cookies, CSRF token, no proxy."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, data: dict[str, str], form_page: str | None = None) -> str:
        page = self.get(form_page or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base_url + path, data=body, headers={"Referer": self.base_url + path})
        with self.opener.open(request, timeout=10) as response:
            return response.geturl()

    def login(self, username: str) -> None:
        landed = self.post("/accounts/login/", {"login": username, "password": DEMO_PASSWORD})
        assert "/accounts/login/" not in landed, f"{username} could not log in"

    @property
    def session(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "sessionid")


def open_socket(stack: contextlib.ExitStack, base_url: str, session: str):
    from websockets.sync.client import connect

    ws_url = base_url.replace("http://", "ws://") + "/ws/notifications/"
    headers = {"Cookie": f"sessionid={session}"}
    socket = stack.enter_context(connect(ws_url, origin=base_url, additional_headers=headers, proxy=None))
    hello = json.loads(socket.recv(timeout=5))
    assert hello["type"] == "notification.unread"
    return socket, hello["unread"]


def receive(socket, timeout: float = 3) -> dict:
    return json.loads(socket.recv(timeout=timeout))


def receive_nothing(socket, timeout: float = 1) -> bool:
    try:
        socket.recv(timeout=timeout)
    except TimeoutError:
        return True
    return False


def test_it_refuses_an_anonymous_or_foreign_socket_on_every_process(two_servers):
    # First: a refused consumer still finishes its channel-layer receive (up to 5 s), which
    # then overlaps the next test instead of delaying the servers' shutdown.
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    for base_url in two_servers["urls"]:
        ws_url = base_url.replace("http://", "ws://") + "/ws/notifications/"
        with pytest.raises(InvalidStatus):
            connect(ws_url, origin="http://evil.example", proxy=None)
        with pytest.raises(InvalidStatus):
            connect(ws_url, origin=base_url, proxy=None)


def test_it_delivers_across_two_processes_sharing_postgres_and_redis(two_servers):
    one, two = two_servers["urls"]
    assert len(set(two_servers["pids"])) == 2

    # Logged in through process 2; the session (in PostgreSQL) works on process 1's socket.
    member = Browserless(two)
    member.login("dangvien")
    other = Browserless(one)
    other.login("dangvien2")

    with contextlib.ExitStack() as stack:
        on_one, unread = open_socket(stack, one, member.session)
        on_two, _ = open_socket(stack, two, member.session)
        others, _ = open_socket(stack, one, other.session)
        # Idle for longer than redis-py's default 5 s read timeout: the sockets must survive it.
        time.sleep(6.5)
        # An HTTP action on process 2 reaches the member's socket on process 1.
        member.post("/notifications/read-all/", {}, form_page="/notifications/")
        assert receive(on_one) == {"version": 1, "type": "notification.read", "unread": 0}
        assert receive(on_two)["unread"] == 0

        # A notification sent by a third process reaches the member's sockets on both.
        subprocess.run(
            [sys.executable, "manage.py", "send_notification", "dangvien", "Họp chi bộ", "--no-email"],
            cwd=ROOT,
            env=two_servers["env"],
            check=True,
            capture_output=True,
        )
        for socket in (on_one, on_two):
            event = receive(socket)
            assert (event["type"], event["message"], event["unread"]) == ("notification.created", "Họp chi bộ", 1)

        # ...and never another member's socket, on either process.
        assert receive_nothing(others)
    assert unread >= 1  # the demo's welcome notification was there to be read
