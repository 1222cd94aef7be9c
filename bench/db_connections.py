"""PostgreSQL connections held by one uvicorn process under concurrent logged-in load.

Starts `uvicorn asgi:application` on a throwaway PostgreSQL database (seeded with the demo
data), logs in `--clients` demo members, runs wrk (or Python threads) with that many
connections for `--seconds` on each of several logged-in pages, and samples
pg_stat_activity every 20 ms for the server's connections (to its own database). Prints
the peak, the count 5 s after the load, and the non-2xx/3xx answers.

Run: DATABASE_URL=postgres://... .venv/bin/python bench/db_connections.py [--clients 16]
The server reads DB_POOL_MIN / DB_POOL_MAX / DB_POOL_TIMEOUT from the environment.
`--stop-above N` stops the server when it holds more than N connections (default 50), so a
configuration that leaks cannot exhaust a PostgreSQL shared with others.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON, ROOT, free_port, measure, prepared_env

APPLICATION_NAME = "chibo-connbench"
PAGES = ["/", "/notifications/", "/forum/", "/courses/", "/pledges/"]


def admin_url(url: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))


@contextlib.contextmanager
def throwaway_database(url: str, suffix: str):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'chibo'}_{suffix}_{os.getpid()}"
    with psycopg.connect(admin_url(url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name
    finally:
        with psycopg.connect(admin_url(url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sessions(env: dict, count: int) -> list[str]:
    """Logged-in sessions for `count` demo members, made in the server's database."""
    code = (
        "import django;django.setup();"
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY;"
        "from django.contrib.sessions.backends.db import SessionStore;"
        "users=get_user_model().objects.filter(memberships__ended_on__isnull=True).order_by('pk')"
        f"[:{count}]\n"
        "for u in users:\n"
        " s=SessionStore();s[SESSION_KEY]=str(u.pk);s[BACKEND_SESSION_KEY]='accounts.backends.ModelBackend'\n"
        " s[HASH_SESSION_KEY]=u.get_session_auth_hash();s.create();print('KEY', s.session_key)"
    )
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return ["sessionid=" + line.split()[1] for line in out.stdout.splitlines() if line.startswith("KEY ")]


class ConnectionSampler:
    """Counts the server's connections in pg_stat_activity every 20 ms, in a thread."""

    def __init__(self, url: str, database: str, on_sample=None) -> None:
        self.url, self.database, self.on_sample = url, database, on_sample
        self.peak = 0
        self.samples = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def count(self, connection) -> int:
        # The database is the server's alone (this sampler connects to "postgres"), so every
        # connection to it is the server's, whatever its settings name it.
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        return connection.execute(query, (self.database,)).fetchone()[0]

    def run(self) -> None:
        import psycopg

        with psycopg.connect(admin_url(self.url), autocommit=True) as connection:
            while not self.stopping.wait(0.02):
                now = self.count(connection)
                self.peak, self.samples = max(self.peak, now), self.samples + 1
                if self.on_sample:
                    self.on_sample(now)

    def now(self) -> int:
        import psycopg

        with psycopg.connect(admin_url(self.url), autocommit=True) as connection:
            return self.count(connection)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)


@contextlib.contextmanager
def pg_server(database_url: str, env_extra: dict | None = None, clients: int = 16):
    """uvicorn on a fresh copy of the demo data in its own PostgreSQL database."""
    with throwaway_database(database_url, "connbench") as (url, name):
        env = prepared_env({"DATABASE_URL": url, "DB_APPLICATION_NAME": APPLICATION_NAME, **(env_extra or {})})
        for key in ("DB_POOL_MIN", "DB_POOL_MAX", "DB_POOL_TIMEOUT"):
            if key in os.environ and key not in (env_extra or {}):
                env[key] = os.environ[key]
        for args in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"], ["seed_demo"]):
            subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        cookies = sessions(env, clients)
        port = free_port()
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "uvicorn",
                "asgi:application",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            import http.client

            deadline = time.time() + 30
            while time.time() < deadline:
                with contextlib.suppress(OSError):
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/robots.txt")
                    if conn.getresponse().status == 200:
                        break
                time.sleep(0.2)
            yield {"port": port, "url": url, "name": name, "cookies": cookies, "process": process}
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--stop-above", type=int, default=50)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.exit("DATABASE_URL must point at a PostgreSQL server (a throwaway database is created next to it).")
    with pg_server(database_url, clients=args.clients) as srv:
        stopped = []

        def guard(now: int) -> None:
            if now > args.stop_above and not stopped:
                stopped.append(now)
                srv["process"].terminate()

        rows = []
        with ConnectionSampler(srv["url"], srv["name"], guard) as sampler:
            for path in PAGES:
                if stopped:
                    break
                result = measure(
                    srv["port"], path, cookies=srv["cookies"], seconds=args.seconds, connections=args.clients
                )
                rows.append((path, result, sampler.peak))
        time.sleep(5)
        after = 0 if stopped else ConnectionSampler(srv["url"], srv["name"]).now()
    print(
        f"{args.clients} clients, {args.seconds:g} s per page, pool: "
        f"min {os.environ.get('DB_POOL_MIN', 'default')} max {os.environ.get('DB_POOL_MAX', 'default')}"
    )
    print(f"{'page':16} {'req/s':>8} {'p99 ms':>8} {'non-2xx/3xx':>12} {'peak conns':>11}")
    for path, r, peak in rows:
        print(f"{path:16} {r['rps']:8.0f} {r['p99_ms']:8.1f} {r['errors']:12d} {peak:11d}")
    print(f"peak connections {sampler.peak}; 5 s after the load {after}")
    if stopped:
        print(f"STOPPED: the server held {stopped[0]} connections (more than --stop-above {args.stop_above})")


if __name__ == "__main__":
    main()
