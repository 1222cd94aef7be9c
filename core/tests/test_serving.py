"""asgi.ThreadPoolHTTP: HTTP through Django's WSGI handler on reused threads (a2wsgi).

A page's `async_to_sync` (a live event sent on commit) must run on the server's own event
loop, as under Django's ASGI handler: the in-memory channel layer's queues and the sockets
waiting on them belong to that loop, and a loop made for the call would wake nobody.
"""

import asyncio
import threading

from asgiref.sync import async_to_sync

from asgi import ThreadPoolHTTP


async def call(app, path: str = "/") -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


async def test_a_pages_async_to_sync_runs_on_the_servers_loop_from_a_reused_thread():
    server_loop = asyncio.get_running_loop()
    seen = []

    async def where() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def page(environ, start_response):
        seen.append((threading.get_ident(), async_to_sync(where)()))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    app = ThreadPoolHTTP(threads=1)
    app.django = page
    for _ in range(3):
        assert await call(app) == (200, b"ok")
    assert [loop for _thread, loop in seen] == [server_loop] * 3
    assert len({thread for thread, _loop in seen}) == 1  # one thread, reused
    assert threading.get_ident() not in {thread for thread, _loop in seen}


async def test_it_serves_djangos_pages():
    status, body = await call(ThreadPoolHTTP(threads=2), "/robots.txt")
    assert status == 200 and b"User-agent" in body


def test_what_the_server_loads_at_start_is_out_of_the_collectors_sight():
    """asgi.py freezes what it loaded (gc.freeze): a full collection in the server walked all
    of Django every few seconds, a 40-70 ms pause for every live delivery in flight."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "import gc, asgi; print(gc.get_freeze_count())"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout.strip().splitlines()[-1]) > 50_000
