"""A post made through one ASGI process reaches a socket held by another, through Redis.

Runs when REDIS_URL is set (CI sets it with DATABASE_URL). With DATABASE_URL the two servers
use pytest-django's PostgreSQL test database; without it they share a temporary SQLite file.
"""

import asyncio
import contextlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")
CSRF = "c" * 32

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (and DATABASE_URL for PostgreSQL)"),
]

SETUP = """
import datetime, json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from cells.models import Membership, OrgUnit
from forum import services
root = OrgUnit.add_root(name="Tỉnh ủy Hai Tiến Trình", kind="committee", code="HT")
cell = root.add_child(name="Chi bộ Hai Tiến Trình", kind="cell")
users = []
for name, role in (("mp_bithu", "secretary"), ("mp_dangvien", "member")):
    user = User.objects.create(username=name, full_name=name, password="!")
    Membership.objects.create(user=user, cell=cell, role=role, started_on=datetime.date(2020, 1, 1))
    users.append(user)
topic = services.topic_create(actor=users[0], cell=cell, title="Hai tiến trình", body="Mở đầu")
def session(user):
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return s.session_key
print(json.dumps({
    "topic": topic.pk,
    "first": topic.posts.get().pk,
    "cookies": [session(u) for u in users],
    "member_elsewhere": session(users[1]),  # the member's second login (another device)
}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_env(tmp_path) -> dict:
    if os.environ.get("DATABASE_URL"):
        s = connection.settings_dict
        url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        return {"DATABASE_URL": url}
    return {"SQLITE_PATH": str(tmp_path / "db.sqlite3")}


@contextlib.contextmanager
def _servers(env: dict, count: int = 2):
    procs, ports = [], []
    for _ in range(count):
        port = _free_port()
        cmd = [sys.executable, "-m", "uvicorn", "asgi:application", "--port", str(port), "--log-level", "warning"]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env))
        ports.append(port)
    try:
        for port, proc in zip(ports, procs, strict=True):
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, "a server exited"
                with contextlib.suppress(OSError, http.client.HTTPException):
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/robots.txt")
                    if conn.getresponse().status == 200:
                        break
                assert time.monotonic() < deadline, "a server did not start"
                time.sleep(0.2)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # open sockets can hold a graceful shutdown
                proc.kill()
                proc.wait(timeout=5)


def _post(port: int, cookie: str, topic: int, text: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        f"/forum/topics/{topic}/",
        body=f"body={text}".encode(),
        headers={
            "Cookie": f"sessionid={cookie}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "X-Requested-With": "fetch",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = conn.getresponse()
    assert response.status == 200, response.read()[:300]
    return json.loads(response.read())["id"]


async def _listen(port: int, cookie: str, topic: int, query: str, seen: list, opened, stop) -> None:
    from websockets.asyncio.client import connect

    uri = f"ws://127.0.0.1:{port}/ws/forum/topics/{topic}/{query}"
    origin = f"http://127.0.0.1:{port}"
    async with connect(uri, additional_headers={"Cookie": f"sessionid={cookie}"}, origin=origin) as ws:
        opened.set()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                event = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.2))
                if event["type"] == "post.created":
                    seen.append(event["id"])


async def _socket_sees(port: int, cookie: str, topic: int, query: str, action, timeout: float = 10) -> tuple:
    """Open a socket, run `action` (in a thread) once it is open, and collect post ids."""
    seen: list[int] = []
    opened, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(_listen(port, cookie, topic, query, seen, opened, stop))
    await asyncio.wait_for(opened.wait(), timeout=20)
    await asyncio.sleep(0.5)  # joined the topic's group on the server
    result = await asyncio.to_thread(action)
    deadline = time.monotonic() + timeout
    while result not in seen and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await task
    return result, seen


def _environment(tmp_path) -> tuple[dict, dict]:
    """The servers' environment, and the data SETUP made in their database."""
    prefix = f"chibo-mp-{os.getpid()}-{secrets.token_hex(3)}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    env.update(_database_env(tmp_path))
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        REDIS_URL=REDIS_URL,
        CHANNEL_PREFIX=prefix,
        CACHE_KEY_PREFIX=prefix,
        LOG_LEVEL="WARNING",
    )
    if "SQLITE_PATH" in env:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    shell = [sys.executable, "manage.py", "shell", "-c", SETUP]
    made = subprocess.run(shell, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return env, json.loads(made.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_it_delivers_a_post_made_in_one_process_to_a_socket_of_another(tmp_path):
    env, data = _environment(tmp_path)
    topic, (secretary, member) = data["topic"], data["cookies"]
    with _servers(env) as (port_a, port_b):
        post_id, live = asyncio.run(
            _socket_sees(port_b, member, topic, "", lambda: _post(port_a, secretary, topic, "qua+hai+tien+trinh"))
        )
        _same, caught_up = asyncio.run(
            _socket_sees(port_b, member, topic, f"?after={data['first']}", lambda: post_id, timeout=5)
        )
    assert post_id in live, f"B's socket never heard of post {post_id} made through A; it saw {live}"
    assert caught_up == [post_id]


def _logout(port: int, cookie: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        "/accounts/logout/",
        headers={"Cookie": f"sessionid={cookie}; csrftoken={CSRF}", "X-CSRFToken": CSRF},
    )
    response = conn.getresponse()
    assert response.status == 302, response.read()[:300]


async def _logout_elsewhere(ports: tuple[int, int], data: dict) -> tuple:
    """The member has two logins with a topic socket each on process B, and logs one out
    through process A. Returns (close code, seconds to close, post ids the other socket saw)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    port_a, port_b = ports
    topic, (secretary, member) = data["topic"], data["cookies"]
    uri = f"ws://127.0.0.1:{port_b}/ws/forum/topics/{topic}/"
    origin = f"http://127.0.0.1:{port_b}"
    async with (
        connect(uri, additional_headers={"Cookie": f"sessionid={member}"}, origin=origin) as leaving,
        connect(uri, additional_headers={"Cookie": f"sessionid={data['member_elsewhere']}"}, origin=origin) as staying,
    ):
        await asyncio.sleep(0.5)  # joined the groups on the server
        await asyncio.to_thread(_logout, port_a, member)
        started = time.monotonic()
        try:
            while True:
                await asyncio.wait_for(leaving.recv(), timeout=5)
        except ConnectionClosed as closed:
            code, took = closed.rcvd.code if closed.rcvd else None, time.monotonic() - started
        post_id = await asyncio.to_thread(_post, port_a, secretary, topic, "van+con+mo")
        seen = []
        while post_id not in seen:
            event = json.loads(await asyncio.wait_for(staying.recv(), timeout=5))
            if event["type"] == "post.created":
                seen.append(event["id"])
    return code, took, seen


@pytest.mark.django_db(transaction=True)
def test_a_logout_through_one_process_closes_that_sessions_socket_on_another(tmp_path):
    env, data = _environment(tmp_path)
    with _servers(env) as ports:
        code, took, seen = asyncio.run(_logout_elsewhere(ports, data))
    assert code == 4401
    assert took < 3, f"the socket closed {took:.2f} s after the logout"
    assert seen  # the member's other login kept its socket
