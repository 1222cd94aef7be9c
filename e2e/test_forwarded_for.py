"""Through a real uvicorn started as `make run` starts it: an X-Forwarded-For the client
writes itself does not give it a new address, so it cannot reset the log-in rate limit.
(uvicorn's default --proxy-headers believed it from 127.0.0.1, and each rotated value was a
fresh address to allauth.)"""

import http.client
import re
import secrets
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from e2e.conftest import free_port, stop, uvicorn_command, wait_for_health

ROOT = Path(__file__).resolve().parent.parent
LIMITED = "Đăng nhập sai quá nhiều lần"


def test_make_run_serves_without_uvicorns_proxy_headers():
    run_line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "uvicorn asgi:application" in line)
    assert "--no-proxy-headers" in run_line


@pytest.fixture
def own_server(e2e_server, tmp_path):
    """A second server on the same database with a cache prefix of its own: the limit this
    test reaches for 127.0.0.1 must not lock the other browser tests out of e2e_server."""
    port = free_port()
    # Ten per address an hour instead of a minute: on a loaded machine the ten attempts below
    # can take longer than a minute, and the limit would forget the first before the last.
    env = {
        **e2e_server.env,
        "CACHE_KEY_PREFIX": f"chibo-xff-{secrets.token_hex(3)}",
        "LOGIN_FAILED_LIMIT": "10/h/ip,5/5m/key",
    }
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(uvicorn_command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process, log)
        yield port
    finally:
        stop(process)


def test_a_rotated_forwarded_for_does_not_reset_the_login_limit(own_server):
    cookies: dict[str, str] = {}

    def request(method: str, body: str = "", forwarded: str = "") -> str:
        connection = http.client.HTTPConnection("127.0.0.1", own_server, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if forwarded:
            headers["X-Forwarded-For"] = forwarded
        connection.request(method, "/accounts/login/", body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            cookies[name] = value
        text = response.read().decode()
        connection.close()
        return text

    def attempt(n: int, username: str, password: str) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', request("GET")).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": username, "password": password})
        return request("POST", body, forwarded=f"198.51.100.{n}")

    for n in range(10):  # ten accounts, one failure each: only the per-address limit (10 here) applies
        assert LIMITED not in attempt(n, f"khongco{n}", "sai")
    assert LIMITED in attempt(99, "dangvien", "chibo-demo")
