"""Helpers for benchmarks: a real server process on loopback, sessions, a load loop.

Benchmarks print figures; they assert nothing. All traffic stays on 127.0.0.1, every loop
is bounded in count and time.
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepared_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    # Measured as production runs: DEBUG off (no query log, cached templates), plain HTTP.
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + "k" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    env.update(extra or {})
    return env


def prepare(env: dict, seed: bool = True) -> None:
    """Migrate, collect static files and (by default) load the demo data into env's database."""
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    if seed:
        subprocess.run([PYTHON, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def uvicorns(env: dict, count: int = 1):
    """`count` `uvicorn asgi:application` processes sharing env, each on a free port of
    127.0.0.1; yields their (port, pid) pairs once each answers /robots.txt, and stops them
    after (killed if open sockets hold a graceful shutdown for more than 10 s)."""
    ports, procs = [], []
    for _ in range(count):
        port = free_port()
        cmd = [PYTHON, "-m", "uvicorn", "asgi:application", "--port", str(port), "--no-access-log"]
        procs.append(subprocess.Popen([*cmd, "--log-level", "warning"], cwd=ROOT, env=env))
        ports.append(port)
    try:
        for port in ports:
            deadline = time.time() + 30
            while time.time() < deadline:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/robots.txt", headers={"Host": "127.0.0.1"})
                    if conn.getresponse().status == 200:
                        break
                time.sleep(0.2)
        yield [(port, proc.pid) for port, proc in zip(ports, procs, strict=True)]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@contextlib.contextmanager
def uvicorn(env: dict):
    """One `uvicorn asgi:application` process on a free port of 127.0.0.1; yields the port."""
    with uvicorns(env, 1) as [(port, _pid)]:
        yield port


def setup_json(script: str, args: list[str], env: dict):
    """Run `script --setup *args` (a bench's own data set-up, in Django) and return the JSON it
    prints last."""
    data = subprocess.run(
        [PYTHON, script, "--setup", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(data.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def server(env_extra: dict | None = None, workers: int = 1, seed: bool = True):
    """Start `uvicorn asgi:application` on a fresh SQLite file seeded with demo data."""
    tmp = tempfile.mkdtemp(prefix="chibo-bench-")
    env = prepared_env({"SQLITE_PATH": f"{tmp}/db.sqlite3", **(env_extra or {})})
    prepare(env, seed=seed)
    with uvicorn(env) as port:
        yield {"port": port, "env": env, "db": f"{tmp}/db.sqlite3"}


def django_eval(env: dict, setup: str, expr: str) -> str:
    """Evaluate `expr` after `setup` in a Django shell against the server's database."""
    code = f"import django;django.setup();{setup};print({expr})"
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def session_cookie(env: dict, username: str) -> str:
    """A logged-in session for `username`, made directly in the server's database."""
    code = (
        "import django;django.setup();"
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY;"
        "from django.contrib.sessions.backends.db import SessionStore;"
        f"u=get_user_model().objects.get(username='{username}');s=SessionStore();"
        "s[SESSION_KEY]=str(u.pk);s[BACKEND_SESSION_KEY]='accounts.backends.ModelBackend';"
        "s[HASH_SESSION_KEY]=u.get_session_auth_hash();s.create();print(s.session_key)"
    )
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return "sessionid=" + out.stdout.strip().splitlines()[-1]


def load(
    port: int, path: str, *, cookie: str = "", seconds: float = 5.0, threads: int = 4, max_requests: int = 100_000
) -> dict:
    """Closed-loop GETs over keep-alive connections; returns req/s and latency percentiles."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    headers = {"Cookie": cookie, "Host": "127.0.0.1", "Accept-Language": "vi"} if cookie else {"Host": "127.0.0.1"}

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local: list[float] = []
        while time.perf_counter() < stop_at and len(local) < max_requests:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            local.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(local)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0  # noqa: E731
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0,
        "errors": errors[0],
    }


WRK = shutil.which("wrk")
_WRK_SCRIPT = """
local cookies = %s
local counter = 0
request = function()
  counter = counter + 1
  local headers = {["Host"] = "127.0.0.1"}
  if #cookies > 0 then headers["Cookie"] = cookies[(counter %% #cookies) + 1] end
  return wrk.format("GET", "%s", headers)
end
"""
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def measure(port: int, path: str, *, cookies: list[str] = (), seconds: float = 5.0, connections: int = 4) -> dict:
    """GETs over `connections` keep-alive connections, each request with the next cookie.

    With wrk installed (Debian's package) it is the client: it costs the shared cores far
    less than a Python client, whose own time would pad the slow and the fast page alike
    and flatter every ratio. Without wrk, `load` above (Python threads) is used."""
    if not WRK:
        result = load(port, path, cookie=cookies[0] if cookies else "", seconds=seconds, threads=connections)
        result["client"] = "python"
        return result
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % ("{" + ",".join(json.dumps(c) for c in cookies) + "}", path))
    try:
        out = subprocess.run(
            [
                WRK,
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(match.group(1)) * _UNIT_MS[match.group(2)] if match else float("nan")

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
        "client": "wrk",
    }
