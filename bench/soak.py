"""Soak: many sockets over several server processes for minutes, with posts flowing.

The production layout's live path under a steady load: PROCESSES uvicorn processes (default 3)
on PostgreSQL and Redis, SOCKETS WebSockets (default 2,000: 100 cells of 20 members, one topic
each, spread over the processes), and members posting through the real HTTP form path at RATE
posts a second in all (default 10, round-robin over the topics) for MINUTES minutes (default 10).

Prints, per minute and in all:
- delivery latency from sending the POST until each socket has the post.created event
  (p50 and p99 over every delivery);
- posts lost: an acknowledged post that some open socket of its topic never received (must be 0);
- each server process's resident memory (VmRSS) once the sockets are open, every minute, and at
  the end (should stay flat).

Not part of `make bench` (it runs for minutes):
    .venv/bin/python bench/soak.py [--minutes 10] [--sockets 2000] [--processes 3] [--rate 10]
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/chibo_soak, created when
missing, emptied by migrate's flush) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/3).
Only loopback traffic; every loop is bounded in count and time.
"""

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import resource
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON, ROOT, prepared_env, setup_json, uvicorns
from forum_bench import _post, pct

MEMBERS_PER_CELL = 20


def setup_data(cells: int) -> None:
    """Run inside a Django process (--setup N): N cells of 20 members with a topic each."""
    import datetime

    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from cells.models import Membership, OrgUnit
    from forum import services

    root = OrgUnit.add_root(name="Tỉnh ủy Soak", kind=OrgUnit.Kind.COMMITTEE, code="SK")
    out = []
    for c in range(cells):
        cell = root.add_child(name=f"Chi bộ {c}", kind=OrgUnit.Kind.CELL)
        prefix = f"s{c:03d}m"
        User.objects.bulk_create(
            [
                User(username=f"{prefix}{i:02d}", full_name=f"Đảng viên {c} {i}", password="!")
                for i in range(MEMBERS_PER_CELL)
            ]
        )
        users = list(User.objects.filter(username__startswith=prefix).order_by("username"))
        Membership.objects.bulk_create(
            [Membership(user=u, cell=cell, started_on=datetime.date(2020, 1, 1)) for u in users]
        )
        topic = services.topic_create(actor=users[0], cell=cell, title=f"Chủ đề {c}", body="Bắt đầu")
        cookies = []
        for user in users:
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            cookies.append(session.session_key)
        out.append({"topic": topic.pk, "cookies": cookies})
    print(json.dumps(out))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@contextlib.contextmanager
def servers(count: int, cells: int, database_url: str, redis_url: str):
    name = urlparse(database_url).path.lstrip("/")
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True)
    prefix = f"chibo-soak-{os.getpid()}"
    env = prepared_env(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CHANNEL_PREFIX": prefix,
            "CACHE_KEY_PREFIX": prefix,
            "SECRET_KEY": secrets.token_hex(32),
        }
    )
    subprocess.run([PYTHON, "manage.py", "flush", "--noinput", "-v0"], cwd=ROOT, env=env, check=False)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "flush", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    topics = setup_json(str(Path(__file__).resolve()), [str(cells)], env)
    with uvicorns(env, count) as running:
        yield [port for port, _pid in running], [pid for _port, pid in running], topics


async def _socket(port: int, cookie: str, topic: int, receipts: list, ready: asyncio.Event, stop: asyncio.Event):
    from websockets.asyncio.client import connect

    uri = f"ws://127.0.0.1:{port}/ws/forum/topics/{topic}/"
    async with connect(
        uri,
        additional_headers={"Cookie": f"sessionid={cookie}"},
        origin=f"http://127.0.0.1:{port}",
        open_timeout=60,
        ping_interval=None,
    ) as ws:
        mine: dict[int, float] = {}
        receipts.append((topic, mine))
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=1.0)
            except TimeoutError:
                continue
            event = json.loads(raw)
            if event.get("type") == "post.created":
                mine.setdefault(event["id"], time.perf_counter())


async def soak(ports, pids, topics, minutes: float, rate: float, sockets: int) -> None:
    receipts: list = []
    stop = asyncio.Event()
    tasks = []
    started = time.perf_counter()
    for t_index, topic in enumerate(topics):
        for s_index, cookie in enumerate(topic["cookies"]):
            if len(tasks) >= sockets:
                break
            port = ports[(t_index + s_index) % len(ports)]
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(_socket(port, cookie, topic["topic"], receipts, ready, stop)))
            await asyncio.wait_for(ready.wait(), timeout=60)
    print(f"{len(tasks)} sockets open over {len(ports)} processes in {time.perf_counter() - started:.1f} s", flush=True)
    await asyncio.sleep(2.0)
    memory = {pid: [rss_kib(pid)] for pid in pids}
    print("memory at start (MiB): " + ", ".join(f"{m[0] / 1024:.0f}" for m in memory.values()), flush=True)

    sent: dict[int, tuple[int, float, int]] = {}  # post id -> (topic, t0, minute)
    refused = 0
    lock = threading.Lock()
    finish = time.perf_counter() + minutes * 60
    interval = 1.0 / rate

    def post_one(i: int) -> None:
        nonlocal refused
        topic = topics[i % len(topics)]
        cookie = topic["cookies"][(i // len(topics)) % len(topic["cookies"])]
        t0 = time.perf_counter()
        try:
            post_id = _post(ports[i % len(ports)], cookie, topic["topic"], f"ý kiến {i} về đại đoàn kết")
        except Exception:
            with lock:
                refused += 1
            return
        with lock:
            sent[post_id] = (topic["topic"], t0, int((t0 - (finish - minutes * 60)) // 60))

    def poster() -> None:
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            i = 0
            begin = time.perf_counter()
            while True:
                due = begin + i * interval
                if due >= finish:
                    break
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                pool.submit(post_one, i)
                i += 1

    loop = asyncio.get_running_loop()
    posting = loop.run_in_executor(None, poster)
    minute = 0
    while not posting.done():
        await asyncio.sleep(1.0)
        if time.perf_counter() >= finish - minutes * 60 + (minute + 1) * 60:
            minute += 1
            for pid in pids:
                memory[pid].append(rss_kib(pid))
            print(
                f"minute {minute}: {len(sent)} posts so far; memory (MiB) "
                + ", ".join(f"{m[-1] / 1024:.0f}" for m in memory.values()),
                flush=True,
            )
    await posting
    # Stragglers: wait until every open socket has every post of its topic, at most 30 s.
    expected = {}
    for topic_id, _t0, _m in sent.values():
        expected[topic_id] = expected.get(topic_id, 0) + 1
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        if all(len(mine) >= expected.get(topic_id, 0) for topic_id, mine in receipts):
            break
        await asyncio.sleep(0.5)
    for pid in pids:
        memory[pid].append(rss_kib(pid))
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)

    by_topic: dict[int, list[dict]] = {}
    for topic_id, mine in receipts:
        by_topic.setdefault(topic_id, []).append(mine)
    latencies, per_minute, lost = [], {}, 0
    for post_id, (topic_id, t0, post_minute) in sent.items():
        for mine in by_topic.get(topic_id, []):
            if post_id in mine:
                latency = (mine[post_id] - t0) * 1000
                latencies.append(latency)
                per_minute.setdefault(post_minute, []).append(latency)
            else:
                lost += 1
    for m in sorted(per_minute):
        values = per_minute[m]
        p50, p99 = pct(values, 0.5), pct(values, 0.99)
        print(f"  minute {m + 1}: {len(values)} deliveries, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(
        f"\n{len(tasks)} sockets, {len(ports)} processes, {minutes:g} min, {len(sent)} posts acknowledged "
        f"({refused} refused), {len(latencies)} deliveries: p50 {pct(latencies, 0.5):.1f} ms, "
        f"p99 {pct(latencies, 0.99):.1f} ms; posts lost {lost}"
    )
    for index, samples in enumerate(memory.values()):
        print(
            f"process {index + 1}: memory {samples[0] / 1024:.0f} MiB after the sockets opened, "
            f"{samples[-1] / 1024:.0f} MiB at the end (max {max(samples) / 1024:.0f})"
        )


def main() -> None:
    # 2,000 sockets need more descriptors than the usual 1,024, here and in the servers.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--rate", type=float, default=10.0, help="posts a second, in all")
    args = parser.parse_args()
    cells = -(-args.sockets // MEMBERS_PER_CELL)
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chibo_soak")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    with servers(args.processes, cells, database_url, redis_url) as (ports, pids, topics):
        asyncio.run(soak(ports, pids, topics, args.minutes, args.rate, args.sockets))


if __name__ == "__main__":
    if "--setup" in sys.argv:
        sys.path.insert(0, str(ROOT))
        setup_data(int(sys.argv[sys.argv.index("--setup") + 1]))
    else:
        main()
