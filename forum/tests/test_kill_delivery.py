"""Two server processes on one database and Redis; one is killed with SIGKILL while members
post. Every post the site acknowledged (2xx) reaches every client that follows the protocol
(forum.consumers: on a skipped change number ask for the rest; at the end, the head check).

A post can be committed by the killed process and its event never sent: no socket hears of
it, and a client's later events come through the other process. Runs when REDIS_URL is set
(CI: with DATABASE_URL, on PostgreSQL); without DATABASE_URL the servers share a SQLite file.
"""

import asyncio
import contextlib
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, wait

import pytest

from e2e.conftest import free_port, stop, uvicorn_command, wait_for_health
from forum.tests.test_two_processes import CSRF, REDIS_URL, ROOT, _database_env

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (and DATABASE_URL for PostgreSQL)"),
]

POSTERS = 6  # the rate limit allows each member 6 posts a minute
SETUP = f"""
import datetime, json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from cells.models import Membership, OrgUnit
from forum import services
root = OrgUnit.add_root(name="Tỉnh ủy Kill", kind="committee", code="KL")
cell = root.add_child(name="Chi bộ Kill", kind="cell")
users = []
for i in range({POSTERS}):
    user = User.objects.create(username=f"kill_{{i}}", full_name=f"Đảng viên {{i}}", password="!")
    role = "secretary" if i == 0 else "member"
    Membership.objects.create(user=user, cell=cell, role=role, started_on=datetime.date(2020, 1, 1))
    users.append(user)
topic = services.topic_create(actor=users[0], cell=cell, title="Chịu lỗi", body="Mở đầu")
def session(user):
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return s.session_key
topic.refresh_from_db()
print(json.dumps({{"topic": topic.pk, "head": topic.seq, "cookies": [session(u) for u in users]}}))
"""


def _post(port: int, cookie: str, topic: int, text: str) -> int | None:
    """The new post's id when the site acknowledged it, else None (the server died)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
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
        body = response.read()
    except (OSError, http.client.HTTPException):
        return None
    assert 200 <= response.status < 300, body.decode(errors="replace").partition("<title>")[2][:300]
    return json.loads(body)["id"]


class Client:
    """A socket that follows the protocol and reconnects (to the surviving server) when cut."""

    def __init__(self, cookie: str, topic: int, port: int, known: int) -> None:
        self.cookie, self.topic, self.port, self.known = cookie, topic, port, known
        self.ahead: set[int] = set()
        self.posts: set[int] = set()
        self.connected = asyncio.Event()
        self.head_after_request = asyncio.Event()
        self.socket = None
        self.stopping = False
        self.connects = 0

    def _advance(self) -> None:
        while self.known + 1 in self.ahead:
            self.known += 1
        self.ahead = {seq for seq in self.ahead if seq > self.known}

    async def _handle(self, event: dict) -> None:
        if event["type"].startswith("post."):
            if "article" in event:
                self.posts.add(event["id"])
            self.ahead.add(event["seq"])
            self._advance()
            if self.ahead:  # a number was skipped: ask for what we lack
                await self.socket.send(json.dumps({"type": "sync", "after": self.known}))
        elif event["type"] == "head":
            self.known = max(self.known, event["seq"])
            self._advance()
            if event["more"]:
                await self.socket.send(json.dumps({"type": "sync", "after": self.known}))
            else:
                self.head_after_request.set()

    async def run(self, fallback_port: int) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        while not self.stopping:
            uri = f"ws://127.0.0.1:{self.port}/ws/forum/topics/{self.topic}/?after_seq={self.known}"
            origin = f"http://127.0.0.1:{self.port}"
            try:
                async with connect(uri, additional_headers={"Cookie": f"sessionid={self.cookie}"}, origin=origin) as ws:
                    self.socket = ws
                    self.connects += 1
                    self.connected.set()
                    async for message in ws:
                        await self._handle(json.loads(message))
            except (OSError, ConnectionClosed):
                pass
            self.connected.clear()
            self.port = fallback_port  # the other process is the one that died

    async def check_head(self) -> None:
        """Ask for everything after what we have and wait for the head reply."""
        await asyncio.wait_for(self.connected.wait(), timeout=20)
        self.head_after_request.clear()
        await self.socket.send(json.dumps({"type": "sync", "after": self.known}))
        await asyncio.wait_for(self.head_after_request.wait(), timeout=20)


def _start(env: dict, workdir, name: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = workdir / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(uvicorn_command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_health(f"http://127.0.0.1:{port}", process, log)
    return process, port


async def _scenario(data: dict, port_a: int, port_b: int, kill_a) -> tuple[list[int], list[Client], int]:
    topic, cookies = data["topic"], data["cookies"]
    # Two members listen, each on both processes.
    clients = [Client(cookies[i], topic, port, data["head"]) for i in (0, 1) for port in (port_a, port_b)]
    tasks = [asyncio.create_task(c.run(fallback_port=port_b)) for c in clients]
    for client in clients:
        await client.check_head()  # joined: the connect's catch-up came back
    acked: list[int] = []
    lost = 0

    def post_all() -> None:
        nonlocal lost
        with ThreadPoolExecutor(max_workers=POSTERS) as pool:
            # Through both processes in turn...
            for i in range(12):
                post_id = _post((port_a, port_b)[i % 2], cookies[i % POSTERS], topic, f"truoc+{i}")
                assert post_id is not None
                acked.append(post_id)
            # ...then a burst at A, killed once the first of them is acknowledged...
            burst = [pool.submit(_post, port_a, cookies[i], topic, f"giua+{i}") for i in range(POSTERS)]
            wait(burst, return_when="FIRST_COMPLETED")
            kill_a()
            for future in burst:
                if future.result() is None:
                    lost += 1
                else:
                    acked.append(future.result())
            # ...and the rest through B.
            for i in range(12):
                post_id = _post(port_b, cookies[(i + 3) % POSTERS], topic, f"sau+{i}")
                assert post_id is not None
                acked.append(post_id)

    await asyncio.to_thread(post_all)
    for client in clients:
        await client.check_head()
    for client in clients:
        client.stopping = True
        if client.socket is not None:
            await client.socket.close()
    await asyncio.gather(*tasks)
    return acked, clients, lost


COMMITTED = """
import json
from forum.models import Post
print(json.dumps(list(Post.objects.filter(topic_id=%d).values_list("id", flat=True))))
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("partitioned", [False, True], ids=["shared-layer", "partitioned-layer"])
def test_every_committed_post_reaches_every_client_when_a_process_is_killed(tmp_path, partitioned):
    """With `partitioned`, process A publishes under a channel prefix of its own: none of its
    events reaches B's sockets, and none of B's reaches A's, so every post made through the
    other process is a lost event that only the protocol (gap, head check) brings."""
    prefix = f"chibo-kill-{os.getpid()}-{secrets.token_hex(3)}"
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
    data = json.loads(made.stdout.strip().splitlines()[-1])
    env_a = {**env, "CHANNEL_PREFIX": f"{prefix}-a"} if partitioned else env
    process_a, port_a = _start(env_a, tmp_path, "a")
    process_b = None
    try:
        process_b, port_b = _start(env, tmp_path, "b")

        def kill_a() -> None:
            os.kill(process_a.pid, signal.SIGKILL)
            process_a.wait(timeout=10)

        try:
            acked, clients, lost = asyncio.run(_scenario(data, port_a, port_b, kill_a))
        except AssertionError:
            for name in ("a", "b"):
                print(f"--- server {name}:\n" + (tmp_path / f"{name}.log").read_text()[-4000:])
            raise
    finally:
        for process in (process_a, process_b):
            if process is not None:
                with contextlib.suppress(Exception):
                    stop(process)
    assert process_a.returncode == -signal.SIGKILL
    assert len(acked) >= 24 + 1 and len(acked) == len(set(acked))
    listed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", COMMITTED % data["topic"]],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    committed = set(json.loads(listed.stdout.strip().splitlines()[-1]))
    assert set(acked) <= committed
    for client in clients:
        missing = sorted(set(acked) - client.posts)
        assert not missing, f"a client never got acknowledged posts {missing}"
        # Stronger: also what A committed without answering (killed before its response).
        assert committed - client.posts <= {min(committed)}  # only the opening post, seen with the page
    on_a = (clients[0], clients[2])  # (member 0, member 1) x (A, B): the first of each pair was on A
    assert all(c.connects >= 2 for c in on_a)  # A's clients came back through B
    unanswered = len(committed) - 1 - len(acked)
    print(f"{len(acked)} acknowledged, {unanswered} committed unanswered, {lost} requests cut by the kill")
