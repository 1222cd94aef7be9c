"""Every page a persona opens from its home page, as a ratio to the trivial view /robots.txt
served by the same server in the same run; two ways of serving HTTP side by side.

For each persona of the demo data (admin, canbo, bithu, dangvien, dangvien2) the home page is
fetched with that persona's session and every same-site link on it (the menu included) is
followed once, GET only; the pages that answer 200 are the ones measured, with wrk and the
persona's cookie. Each page is loaded on two servers sharing one database, one after the
other: HTTP through Django's ASGI handler (HTTP_THREADS=0) and through the WSGI thread pool
(HTTP_THREADS=8, a2wsgi); WebSockets are ASGI on both.

Databases: the embedded default (SQLite, in-memory cache), then PostgreSQL + Redis when
BENCH_DATABASE_URL and BENCH_REDIS_URL are set (the database is emptied and seeded; use one of
your own). BENCH_SECONDS sets the seconds per measurement (default 2), BENCH_ROUNDS how many
times each page is measured on each layout, in turn (default 2; the best is kept).

Only loopback traffic; every loop is bounded in count and time.
Run: .venv/bin/python bench/pages_bench.py
"""

import contextlib
import html.parser
import http.client
import http.cookies
import os
import statistics
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import measure, prepare, prepared_env, session_cookie, uvicorn

PERSONAS = ["admin", "canbo", "bithu", "dangvien", "dangvien2"]
SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
LAYOUTS = {"asgi": {"HTTP_THREADS": "0"}, "threads": {"HTTP_THREADS": "8"}}
# BENCH_LAYOUTS=threads measures one layout only (half the time on a busy machine).
LAYOUTS = {name: LAYOUTS[name] for name in os.environ.get("BENCH_LAYOUTS", ",".join(LAYOUTS)).split(",")}
# Links that change state or leave the page's kind: never followed.
SKIP = ("/accounts/logout/", "/static/", "/i18n/", "/media/")


class Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def get(port: int, path: str, cookie: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = conn.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def with_csrf_cookie(port: int, cookie: str) -> str:
    """The cookie a browser holds after its first page: the session and the CSRF cookie the
    home page sets (core.middleware.PageCacheMiddleware caches pages for such a reader)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/", headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = conn.getresponse()
    response.read()
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return "; ".join([cookie] + [f"{name}={morsel.value}" for name, morsel in jar.items() if name == "csrftoken"])


def pages_of(port: int, cookie: str) -> list[str]:
    """The home page and every same-site page linked from it that answers 200."""
    status, body = get(port, "/", cookie)
    assert status == 200, f"home answered {status}"
    parser = Links()
    parser.feed(body)
    found = ["/"]
    for href in parser.hrefs:
        url = urllib.parse.urlsplit(urllib.parse.urljoin("http://127.0.0.1/", href))
        if url.netloc != "127.0.0.1" or url.scheme != "http":
            continue
        path = url.path + (f"?{url.query}" if url.query else "")
        if path in found or path.startswith(SKIP):
            continue
        if get(port, path, cookie)[0] == 200:
            found.append(path)
    return found


def run(label: str, env: dict) -> list[tuple]:
    prepare(env)
    cookies = {name: session_cookie(env, name) for name in PERSONAS}
    rows = []
    with contextlib.ExitStack() as stack:
        ports = {name: stack.enter_context(uvicorn({**env, **extra})) for name, extra in LAYOUTS.items()}
        first = next(iter(ports.values()))
        cookies = {name: with_csrf_cookie(first, cookie) for name, cookie in cookies.items()}
        targets = [("-", "/robots.txt", "")]
        for persona, cookie in cookies.items():
            targets += [(persona, path, cookie) for path in pages_of(first, cookie)]
        for persona, path, cookie in targets:
            row = {}
            for port in ports.values():
                measure(port, path, cookies=[cookie] if cookie else [], seconds=1)  # warm up
            # Turn and turn about, ROUNDS times, keeping each layout's best: other work on the
            # shared cores only ever slows a measurement down.
            for _round in range(ROUNDS):
                for name, port in ports.items():
                    result = measure(port, path, cookies=[cookie] if cookie else [], seconds=SECONDS)
                    if name not in row or result["rps"] > row[name]["rps"]:
                        row[name] = result
            rows.append((persona, path, row))
            print(".", end="", flush=True)
    trivial = rows[0][2]
    print(f"\n{label}: requests/s, and the ratio to /robots.txt on the same server")
    print(f"{'persona':10} {'page':44} " + " ".join(f"{n + ' r/s':>12} {'ratio':>6}" for n in LAYOUTS) + "  gain")
    for persona, path, row in rows:
        cells = " ".join(f"{row[n]['rps']:12.0f} {row[n]['rps'] / trivial[n]['rps']:6.2f}" for n in LAYOUTS)
        gain = row["threads"]["rps"] / row["asgi"]["rps"] if len(row) == 2 and row["asgi"]["rps"] else 0
        errors = sum(row[n]["errors"] for n in LAYOUTS)
        print(f"{persona:10} {path[:44]:44} {cells} {gain:5.2f}x" + (f"  errors {errors}" if errors else ""))
    for name in LAYOUTS:
        ratios = [row[name]["rps"] / trivial[name]["rps"] for _, _, row in rows[1:]]
        print(
            f"{name}: {len(ratios)} pages, ratio median {statistics.median(ratios):.2f}, worst {min(ratios):.2f}, "
            f"at least 0.5: {sum(r >= 0.5 for r in ratios)}"
        )
    return rows


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="chibo-pages-")
    embedded = prepared_env({"SQLITE_PATH": f"{tmp}/db.sqlite3"})
    run("Embedded default (SQLite, in-memory cache and channel layer)", embedded)
    database_url, redis_url = os.environ.get("BENCH_DATABASE_URL"), os.environ.get("BENCH_REDIS_URL")
    if database_url and redis_url:
        import psycopg
        import redis

        url = urllib.parse.urlsplit(database_url)
        name = url.path.lstrip("/")
        with psycopg.connect(urllib.parse.urlunsplit(url._replace(path="/postgres")), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        redis.Redis.from_url(redis_url).flushdb()
        env = prepared_env({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "DB_POOL_MAX": "10"})
        run("PostgreSQL + Redis (pool of 10 per process)", env)
    else:
        print("\n(PostgreSQL + Redis skipped: set BENCH_DATABASE_URL and BENCH_REDIS_URL)")


if __name__ == "__main__":
    main()
