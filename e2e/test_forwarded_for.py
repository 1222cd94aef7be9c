"""Through a real uvicorn started as `make run` starts it: an X-Forwarded-For the client
writes itself does not give it a new address, so it cannot reset the log-in rate limit.
(uvicorn's default --proxy-headers trusted it from 127.0.0.1, and each rotated value was a
fresh address to allauth.)"""

import http.cookiejar
import re
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMITED = "Đăng nhập sai quá nhiều lần"


def test_make_run_serves_without_uvicorns_proxy_headers():
    run_line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "uvicorn asgi:application" in line)
    assert "--no-proxy-headers" in run_line


def test_a_rotated_forwarded_for_does_not_reset_the_login_limit(e2e_server):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))
    login = e2e_server.url + "/accounts/login/"

    def attempt(n: int, username: str, password: str) -> str:
        page = opener.open(login, timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": username, "password": password})
        request = urllib.request.Request(login, data=data.encode(), headers={"X-Forwarded-For": f"198.51.100.{n}"})
        with opener.open(request, timeout=10) as response:
            return response.read().decode()

    for n in range(10):  # ten accounts, one failure each: only the per-address limit (10/min) applies
        assert LIMITED not in attempt(n, f"khongco{n}", "sai")
    assert LIMITED in attempt(99, "dangvien", "chibo-demo")
