"""The production layout, through nginx: deploy/nginx-site.conf.template in front of three
uvicorn processes on PostgreSQL + Redis, started by deploy/local.py's `layout()` (what
`make deploy-local` runs).

HTTP (a login with its CSRF check, pages, static files served by nginx itself) and the
WebSocket upgrade go through nginx. Then one process is killed while two members post: every
post the site acknowledged is stored and reaches every member's socket, and each socket that
was on the killed process reconnects through nginx and catches up.

Runs when nginx is installed and DATABASE_URL and REDIS_URL are set (the second CI pass), in a
database of its own, created next to DATABASE_URL's and dropped at the end.
"""

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import threading
import urllib.parse

import pytest

from deploy.local import NGINX, layout
from e2e.conftest import SERVER_ENV_DROP, free_port, server_redis_url
from e2e.test_scaleout import Browserless

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not NGINX, reason="the layout through nginx needs nginx installed (apt-get install nginx)"),
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="the production layout needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis) shared by its processes",
    ),
]

PROCESSES = 3
# The forum lets a member post 6 times a minute; with the topic and a retry or two, 4 each fit.
POSTS_PER_MEMBER = 4
KILL_AFTER = 3  # acknowledged posts, counted over both members


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import psycopg

    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = f"{url.path.lstrip('/') or 'chibo'}_nginx_{os.getpid()}"
    admin_url = urllib.parse.urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    prefix = f"chibo-nginx-{os.getpid()}-{secrets.token_hex(3)}"
    env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV_DROP}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="nginx-test-" + secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://127.0.0.1:{port}",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=urllib.parse.urlunsplit(url._replace(path=f"/{name}")),
        REDIS_URL=server_redis_url() or os.environ["REDIS_URL"],
        CHANNEL_PREFIX=prefix,
        CACHE_KEY_PREFIX=prefix,
        DB_POOL_MAX="4",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    try:
        app_ports = [free_port() for _ in range(PROCESSES)]
        workdir = tmp_path_factory.mktemp("nginx-layout")
        with layout(processes=PROCESSES, env=env, port=port, app_ports=app_ports, workdir=workdir) as running:
            yield running
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fetch(base_url: str, path: str, cookie: str = "") -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def connect(site, path: str, session: str):
    from websockets.sync.client import connect as ws_connect

    return ws_connect(
        site.url.replace("http://", "ws://") + path,
        origin=site.url,
        additional_headers={"Cookie": f"sessionid={session}"},
        proxy=None,
        open_timeout=10,
        ping_interval=None,
    )


def test_pages_static_files_and_the_websocket_upgrade_go_through_nginx(site):
    member = Browserless(site.url)
    member.login("dangvien")  # a POST through nginx: Host, Origin and the CSRF check agree
    home = fetch(site.url, "/", f"sessionid={member.session}")
    assert home.status == 200
    assert home.getheader("Referrer-Policy") == "same-origin"  # the app answered

    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home.body.decode()).group(1)
    static = fetch(site.url, stylesheet)
    assert static.status == 200 and static.body
    # nginx served it from disk: none of the headers every application response carries.
    assert static.getheader("Referrer-Policy") is None
    assert "immutable" in static.getheader("Cache-Control", "")

    with connect(site, "/ws/notifications/", member.session) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "notification.unread"


def _post(site, session: str, topic: int, text: str) -> int | None:
    """One reply through nginx, sent again with the same key after a 502 (the process that had
    it died): the id the site acknowledged, or None when it never did."""
    body = urllib.parse.urlencode(
        {"body": text, "idempotency_key": secrets.token_urlsafe(24), "csrfmiddlewaretoken": "c" * 32}
    )
    headers = {
        "Cookie": f"sessionid={session}; csrftoken={'c' * 32}",
        "X-Requested-With": "fetch",
        "Origin": site.url,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    parts = urllib.parse.urlsplit(site.url)
    for _attempt in range(3):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
        conn.request("POST", f"/forum/topics/{topic}/", body=body.encode(), headers=headers)
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        if response.status == 200:
            return json.loads(payload)["id"]
        assert response.status in (502, 504), (response.status, payload[:300])
    return None


def _drain(socket, seen: dict[str, int], ids: set[int]) -> None:
    """Ask the socket for every change after the last one it saw, and read until the head."""
    socket.send(json.dumps({"type": "sync", "after": seen["seq"]}))
    while True:
        message = json.loads(socket.recv(timeout=10))
        _note(message, seen, ids)
        if message.get("type") == "head" and not message.get("more"):
            return
        if message.get("type") == "head":
            socket.send(json.dumps({"type": "sync", "after": seen["seq"]}))


def _note(message: dict, seen: dict[str, int], ids: set[int]) -> None:
    if message.get("type") in ("post.created", "post.updated") and "id" in message:
        ids.add(message["id"])
        seen["seq"] = max(seen["seq"], message.get("seq", 0))
    elif message.get("type") == "head":
        seen["seq"] = max(seen["seq"], message.get("seq", 0))


def test_a_killed_process_loses_no_acknowledged_post_and_its_sockets_reconnect_through_nginx(site):
    from websockets.exceptions import ConnectionClosed

    members = {}
    for username in ("dangvien", "bithu"):
        browser = Browserless(site.url)
        browser.login(username)
        members[username] = browser
    # A new topic in their cell, opened through nginx.
    landed = members["bithu"].post(
        "/forum/new/",
        {"title": "Qua nginx", "body": "Mở đầu", "idempotency_key": secrets.token_urlsafe(24)},
    )
    topic = int(re.search(r"/forum/topics/(\d+)/", landed).group(1))
    members = {username: browser.session for username, browser in members.items()}

    with contextlib.ExitStack() as stack:
        # Two sockets per process and member: nginx hands new connections out in turn.
        sockets = []
        for _round in range(2):
            for session in members.values():
                for _ in range(PROCESSES):
                    socket = stack.enter_context(connect(site, f"/ws/forum/topics/{topic}/?after_seq=0", session))
                    sockets.append({"socket": socket, "session": session, "seen": {"seq": 0}, "ids": set()})
        for entry in sockets:  # each reads its catch-up up to the head
            while True:
                message = json.loads(entry["socket"].recv(timeout=10))
                _note(message, entry["seen"], entry["ids"])
                if message.get("type") == "head":
                    break

        acknowledged: list[int] = []
        lock = threading.Lock()
        killed = threading.Event()
        victim = site.apps[1]

        failures = []

        def poster(username: str) -> None:
            try:
                post_all(username)
            except Exception as exc:  # reported below, in the test's own thread
                failures.append(exc)

        def post_all(username: str) -> None:
            for number in range(POSTS_PER_MEMBER):
                post_id = _post(site, members[username], topic, f"{username} ý kiến số {number}")
                with lock:
                    if post_id is not None:
                        acknowledged.append(post_id)
                    if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                        killed.set()
                        victim.send_signal(signal.SIGKILL)

        threads = [threading.Thread(target=poster, args=(name,)) for name in members]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        assert killed.is_set() and victim.wait(timeout=10) == -signal.SIGKILL
        assert len(acknowledged) == 2 * POSTS_PER_MEMBER  # a 502 was retried with the same key

        reconnected = 0
        for entry in sockets:
            try:
                _drain(entry["socket"], entry["seen"], entry["ids"])
            except ConnectionClosed:
                # It was on the killed process: reconnect through nginx, catch up from there.
                entry["socket"] = stack.enter_context(
                    connect(site, f"/ws/forum/topics/{topic}/?after_seq={entry['seen']['seq']}", entry["session"])
                )
                _drain(entry["socket"], entry["seen"], entry["ids"])
                reconnected += 1
            assert set(acknowledged) <= entry["ids"], sorted(set(acknowledged) - entry["ids"])
        assert reconnected == 2 * len(members)  # the killed process's share of the sockets

    # Stored, once each: one post per reply sent, whatever was retried.
    counts = site.manage(
        "shell",
        "-c",
        "from forum.models import Post;"
        f"ids={sorted(acknowledged)!r};"
        f"print(Post.objects.filter(pk__in=ids).count(), Post.objects.filter(topic_id={topic},"
        " body_source__contains='ý kiến số').count())",
    ).stdout.split()[-2:]
    assert counts == [str(2 * POSTS_PER_MEMBER)] * 2
