"""Forum figures: the topic page, post-to-delivery latency, and many sockets.

1. Topic page with 50 posts, read in turn by the 50 members of its cell: requests/s as a
   ratio to the trivial view /robots.txt served by the same server in the same run, asked
   anonymously and with the members' cookies; then the first view after each new post
   (when the topic's cached parts are rebuilt). The client is wrk when installed.
2. Post-to-delivery for a 50-member cell: 50 sockets on one topic; a member posts through
   the real HTTP form path every 200 ms; latency from sending the POST until each socket
   has the post.created event (p50/p99 over every delivery, and until the last socket).
3. 500 sockets over 25 topics (20 per topic), one post a second per topic: latency p50/p99
   and posts lost (expected deliveries that never arrived on the live socket).

Layouts: the embedded default (one uvicorn process, in-memory channel layer, SQLite), and,
when Redis answers (BENCH_REDIS_URL, default redis://127.0.0.1:6379/3), two uvicorn
processes sharing the SQLite file and Redis; sockets and posts are spread over both.
The client runs on the same cores as the server, so latencies are upper bounds.

Only loopback traffic; every loop is bounded in count and time.
Run: .venv/bin/python bench/forum_bench.py
"""

import asyncio
import concurrent.futures
import contextlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON, ROOT, measure, prepared_env, setup_json, uvicorns

CSRF = "b" * 32  # any 32-character secret works when cookie and header agree


def setup_data() -> None:
    """Run inside a Django process (--setup): make the cells, members, topics and sessions."""
    import datetime

    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from cells.models import Membership, OrgUnit
    from forum import services

    root = OrgUnit.add_root(name="Tỉnh ủy Đo", kind=OrgUnit.Kind.COMMITTEE, code="BD")

    def cell_with(name: str, size: int, prefix: str):
        cell = root.add_child(name=name, kind=OrgUnit.Kind.CELL)
        users = User.objects.bulk_create(
            [User(username=f"{prefix}{i:03d}", full_name=f"Đảng viên {prefix} {i}", password="!") for i in range(size)]
        )
        users = list(User.objects.filter(username__startswith=prefix).order_by("username"))
        Membership.objects.bulk_create(
            [Membership(user=u, cell=cell, started_on=datetime.date(2020, 1, 1)) for u in users]
        )
        return cell, users

    def cookie(user) -> str:
        s = SessionStore()
        s[SESSION_KEY] = str(user.pk)
        s[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        return s.session_key

    out = {}
    # 1 + 2: one 50-member cell with a 50-post topic (page) and a fresh topic (delivery).
    cell, users = cell_with("Chi bộ năm mươi", 50, "bm")
    page_topic = services.topic_create(actor=users[0], cell=cell, title="Trang 50 ý kiến", body="Mở đầu")
    body = "Ý kiến về **đại đoàn kết**, gần dân và thực hành tiết kiệm. " * 6  # about 400 characters
    for i in range(49):
        services.post_create(actor=users[i % 50], topic=page_topic, body=body)
    live_topic = services.topic_create(actor=users[0], cell=cell, title="Đo độ trễ", body="Bắt đầu")
    out["page_topic"] = page_topic.pk
    out["live_topic"] = live_topic.pk
    out["cell50"] = [cookie(u) for u in users]
    # 3: 25 cells of 20 members, a topic each.
    out["fanout"] = []
    for t in range(25):
        cell, users = cell_with(f"Chi bộ số {t}", 20, f"f{t:02d}m")
        topic = services.topic_create(actor=users[0], cell=cell, title=f"Chủ đề {t}", body="Bắt đầu")
        out["fanout"].append({"topic": topic.pk, "cookies": [cookie(u) for u in users]})
    print(json.dumps(out))


def redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


@contextlib.contextmanager
def servers(count: int, redis_url: str = ""):
    tmp = tempfile.mkdtemp(prefix="chibo-forum-bench-")
    extra = {"SQLITE_PATH": f"{tmp}/db.sqlite3", "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    extra.update(SECRET_KEY=secrets.token_hex(32), SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0", SECURE_HSTS_SECONDS="0")
    if redis_url:
        prefix = f"chibo-bench-{os.getpid()}"
        extra.update(REDIS_URL=redis_url, CHANNEL_PREFIX=prefix, CACHE_KEY_PREFIX=prefix)
    env = prepared_env(extra)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    setup = setup_json(str(Path(__file__).resolve()), [], env)
    with uvicorns(env, count) as running:
        yield [port for port, _pid in running], setup


def _post(port: int, cookie: str, topic: int, text: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = "body=" + text.replace(" ", "+")
    headers = {
        "Host": "127.0.0.1",
        "Cookie": f"sessionid={cookie}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "X-Requested-With": "fetch",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    conn.request("POST", f"/forum/topics/{topic}/", body=body.encode(), headers=headers)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"post refused: {response.status} {payload[:200]!r}")
    return json.loads(payload)["id"]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _socket(port: int, cookie: str, topic: int, receipts: dict, ready: asyncio.Event, stop: asyncio.Event):
    from websockets.asyncio.client import connect

    uri = f"ws://127.0.0.1:{port}/ws/forum/topics/{topic}/"
    async with connect(
        uri, additional_headers={"Cookie": f"sessionid={cookie}"}, origin=f"http://127.0.0.1:{port}", open_timeout=30
    ) as ws:
        mine: dict[int, float] = {}
        receipts[id(ws)] = (topic, mine)
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            event = json.loads(raw)
            if event.get("type") == "post.created":
                mine.setdefault(event["id"], time.perf_counter())


async def _run_live(ports: list[int], topics: list[dict], per_topic_rate: float, seconds: float) -> dict:
    """Open every topic's sockets (spread over the ports), post at a steady rate, and measure."""
    receipts: dict = {}
    stop = asyncio.Event()
    tasks = []
    opened = 0
    for t_index, topic in enumerate(topics):
        for s_index, cookie in enumerate(topic["cookies"]):
            port = ports[(t_index + s_index) % len(ports)]
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(_socket(port, cookie, topic["topic"], receipts, ready, stop)))
            await asyncio.wait_for(ready.wait(), timeout=30)
            opened += 1
    await asyncio.sleep(1.0)  # presence chatter settles
    sent: dict[int, tuple[int, float]] = {}  # post id -> (topic, t0)
    loop = asyncio.get_running_loop()
    lock = threading.Lock()

    def poster(t_index: int, topic: dict) -> None:
        interval = 1.0 / per_topic_rate
        count = int(seconds * per_topic_rate)
        start = time.perf_counter() + (t_index / len(topics)) * interval  # stagger the topics
        for i in range(count):
            wait = start + i * interval - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            cookie = topic["cookies"][i % len(topic["cookies"])]
            t0 = time.perf_counter()
            post_id = _post(ports[i % len(ports)], cookie, topic["topic"], f"ý kiến {i} về đại đoàn kết")
            with lock:
                sent[post_id] = (topic["topic"], t0)

    # One thread per topic: the default executor has only cpu_count + 4 threads, which ran the
    # topics' posters a few at a time (a fraction of the stated load).
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(topics)) as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, poster, i, t) for i, t in enumerate(topics)))
    await asyncio.sleep(3.0)  # let stragglers arrive
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)

    latencies, last_socket, lost = [], {}, 0
    for topic_id, mine in receipts.values():
        for post_id, (post_topic, t0) in sent.items():
            if post_topic != topic_id:
                continue
            if post_id in mine:
                latency = (mine[post_id] - t0) * 1000
                latencies.append(latency)
                last_socket[post_id] = max(last_socket.get(post_id, 0), latency)
            else:
                lost += 1
    return {
        "sockets": opened,
        "posts": len(sent),
        "deliveries": len(latencies),
        "p50": pct(latencies, 0.50),
        "p99": pct(latencies, 0.99),
        "last_p50": pct(list(last_socket.values()), 0.50),
        "last_p99": pct(list(last_socket.values()), 0.99),
        "lost": lost,
    }


def run_layout(label: str, count: int, redis_url: str = "") -> None:
    with servers(count, redis_url) as (ports, setup):
        port = ports[0]
        print(f"\n--- {label}: {count} uvicorn process(es)", flush=True)
        # Every member of the 50-member cell reads the page in turn, each with the session
        # and CSRF cookies a browser keeps: the readers share what is cached for the topic.
        members = [f"sessionid={cookie}; csrftoken={CSRF}" for cookie in setup["cell50"]]
        page = f"/forum/topics/{setup['page_topic']}/?page=1"
        for cookie in members:  # wrk counts a redirect to the login page as success: check first
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", page, headers={"Host": "127.0.0.1", "Cookie": cookie})
            response = conn.getresponse()
            if response.status != 200 or b'class="post ' not in response.read():
                raise RuntimeError(f"the topic page answered {response.status} for a member")
        measure(port, "/robots.txt", seconds=1)
        measure(port, page, cookies=members, seconds=1)
        trivial = measure(port, "/robots.txt", seconds=5)
        trivial_member = measure(port, "/robots.txt", cookies=members, seconds=5)
        topic_page = measure(port, page, cookies=members, seconds=5)
        ratio = topic_page["rps"] / trivial["rps"] if trivial["rps"] else 0
        ratio_member = topic_page["rps"] / trivial_member["rps"] if trivial_member["rps"] else 0
        print(f"client: {topic_page['client']}, 4 connections")
        print(f"trivial view /robots.txt, anonymous     {trivial['rps']:7.0f} req/s  p50 {trivial['p50_ms']:.1f} ms")
        print(
            f"trivial view /robots.txt, members        {trivial_member['rps']:7.0f} req/s  "
            f"p50 {trivial_member['p50_ms']:.1f} ms"
        )
        print(
            f"topic page, 50 posts, 50 members         {topic_page['rps']:7.0f} req/s  "
            f"p50 {topic_page['p50_ms']:.1f} ms  p99 {topic_page['p99_ms']:.1f} ms"
        )
        errors = trivial["errors"] + trivial_member["errors"] + topic_page["errors"]
        print(f"ratio to the anonymous trivial view {ratio:.3f}; to the members' {ratio_member:.3f}; errors {errors}")
        # The first view after a change rebuilds the topic's cached parts: time it alone.
        cold = []
        for i in range(20):
            _post(port, setup["cell50"][i % 50], setup["page_topic"], f"ý kiến mới {i}")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            t0 = time.perf_counter()
            conn.request("GET", page, headers={"Host": "127.0.0.1", "Cookie": members[(i + 7) % 50]})
            conn.getresponse().read()
            cold.append((time.perf_counter() - t0) * 1000)
        print(f"first view after a new post (cache rebuilt): p50 {pct(cold, 0.5):.1f} ms, max {max(cold):.1f} ms")
        cell50 = [{"topic": setup["live_topic"], "cookies": setup["cell50"]}]
        r = asyncio.run(_run_live(ports, cell50, per_topic_rate=5.0, seconds=20))
        print(
            f"50-member cell: {r['sockets']} sockets, {r['posts']} posts: delivery p50 {r['p50']:.1f} ms, "
            f"p99 {r['p99']:.1f} ms; to the last socket p50 {r['last_p50']:.1f} ms, p99 {r['last_p99']:.1f} ms; "
            f"lost {r['lost']}"
        )
        r = asyncio.run(_run_live(ports, setup["fanout"], per_topic_rate=1.0, seconds=20))
        print(
            f"{r['sockets']} sockets over {len(setup['fanout'])} topics, 1 post/s each, {r['posts']} posts, "
            f"{r['deliveries']} deliveries: p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms; "
            f"to the last socket p50 {r['last_p50']:.1f} ms, p99 {r['last_p99']:.1f} ms; lost {r['lost']}"
        )


def main() -> None:
    run_layout("embedded default (in-memory channel layer, SQLite)", 1)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    if redis_url and redis_answers(redis_url):
        run_layout(f"two processes with Redis ({redis_url}), shared SQLite", 2, redis_url)
    else:
        print("\n(no Redis answers: the two-process layout is skipped)")


if __name__ == "__main__":
    if "--setup" in sys.argv:
        sys.path.insert(0, str(ROOT))
        setup_data()
    else:
        main()
