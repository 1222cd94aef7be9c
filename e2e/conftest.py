"""Browser tests against a real server process.

`e2e_server` (named so as not to trigger pytest-django's `live_server`, which would set up
the test database) starts `uvicorn asgi:application` on a free loopback port with its own SQLite
file (migrated and seeded with the demo data), so these tests never touch pytest-django's
test database. Its channel layer is Redis when Redis answers (see `server_redis_url`), with a
prefix of its own, so that another process, such as `manage.py send_notification` run by a
test, can reach the server's sockets; without Redis it falls back to the in-memory layer and
tests that need a second process skip.

`browser` is Debian's /usr/bin/chromium driven by Playwright (never `playwright install`).
Without it, browser tests skip, unless REQUIRE_BROWSER=1 (CI), where they fail.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "chibo-demo"
# Variables of the developer's or CI's shell that must not leak into the server's settings.
SERVER_ENV_DROP = ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DEBUG", "ALLOWED_HOSTS", "EMAIL_HOST", "SITE_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:
        return False


# Loopback servers only: never through a proxy from the environment.
http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def server_redis_url() -> str:
    """Redis for the servers this suite starts: E2E_REDIS_URL, else the next database after
    REDIS_URL's (the test process's cache.clear() flushes REDIS_URL's own database), else
    redis://127.0.0.1:6379/2. E2E_REDIS_URL="" means none."""
    if "E2E_REDIS_URL" in os.environ:
        return os.environ["E2E_REDIS_URL"]
    suite = os.environ.get("REDIS_URL")
    if not suite:
        return "redis://127.0.0.1:6379/2"
    parts = urllib.parse.urlsplit(suite)
    db = int(parts.path.strip("/") or 0)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{(db + 1) % 16}"))


def wait_for_health(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with http.open(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer /healthz within {timeout} s:\n{log.read_text()[-3000:]}")


def uvicorn_command(port: int) -> list[str]:
    uvicorn = ROOT / ".venv" / "bin" / "uvicorn"
    base = [str(uvicorn)] if uvicorn.exists() else [sys.executable, "-m", "uvicorn"]
    # A consumer whose socket just closed may still sit in a channels-redis receive; do not let
    # that hold the shutdown (uvicorn would otherwise wait for it without limit).
    return [
        *base,
        "asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        # As `make run`: the peer's address reaches Django as it is, and Django alone decides
        # which forwarded headers to believe (TRUSTED_PROXIES, core.middleware).
        "--no-proxy-headers",
        "--timeout-graceful-shutdown",
        "3",
    ]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def vapid_keys() -> dict[str, str]:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    encode = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return {
        "VAPID_PUBLIC_KEY": encode(raw),
        "VAPID_PRIVATE_KEY": encode(key.private_numbers().private_value.to_bytes(32, "big")),
    }


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    log: Path
    redis_url: str = ""
    processes: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """Run a management command against this server's database and channel layer."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture(scope="session")
def e2e_server(tmp_path_factory) -> LiveServer:
    workdir = tmp_path_factory.mktemp("e2e-server")
    env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV_DROP}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        SQLITE_PATH=str(workdir / "db.sqlite3"),
        MEDIA_ROOT=str(workdir / "media"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    redis_url = server_redis_url()
    if redis_url and redis_answers(redis_url):
        prefix = f"chibo-e2e-{os.getpid()}-{secrets.token_hex(3)}"
        env.update(REDIS_URL=redis_url, CHANNEL_PREFIX=prefix, CACHE_KEY_PREFIX=prefix)
    else:
        redis_url = ""
    # Web Push keys of this run; the tests' push service listens on loopback http.
    env.update(vapid_keys(), PUSH_ALLOW_HTTP="1")
    port = free_port()
    env["SITE_URL"] = f"http://127.0.0.1:{port}"
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=env, log=workdir / "server.log", redis_url=redis_url)
    server.manage("migrate", "--noinput", "-v0")
    server.manage("seed_demo")
    with server.log.open("w") as log:
        process = subprocess.Popen(uvicorn_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server.processes.append(process)
    try:
        wait_for_health(server.url, process, server.log)
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="session")
def live_server_url(e2e_server) -> str:
    return e2e_server.url


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser, live_server_url):
    # A phone-sized window in Vietnamese, like most members'.
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport={"width": 420, "height": 900})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the real form and wait for the page it lands on."""
    page.goto("/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", password)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
