"""One reply, once, against a real server on its own SQLite file (WAL, writers queued by
IMMEDIATE transactions), where the in-process tests cannot run threads: five identical POSTs
sent together store one post, and in Chromium a reply whose fetch answer is lost, sent again
by forum.js's fallback to an ordinary POST, is stored once."""

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from e2e.conftest import DEMO_PASSWORD, login

# Members no other test posts as (the forum's rate limit is per user): a demo member of the
# An Lợi cell for the five POSTs, dangvien2 (same cell) in the browser.
USER, BROWSER_USER = "demo403", "dangvien2"


def _count(server, body: str) -> int:
    code = f"from forum.models import Post; print(Post.objects.filter(body_source={body!r}).count())"
    return int(server.manage("shell", "-c", code).stdout.split()[-1])  # after the shell's own notice


class _Browserless:
    """A logged-in HTTP client (urllib, one cookie jar, safe to share between threads)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar)
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=30) as response:  # follows the redirect
            return response.status, response.geturl()

    def login(self, username: str) -> None:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get("/accounts/login/")).group(1)
        _status, url = self.post(
            "/accounts/login/", {"csrfmiddlewaretoken": token, "login": username, "password": DEMO_PASSWORD}
        )
        assert "/accounts/login/" not in url


def _form_fields(html: str) -> dict:
    """The hidden fields of the page's form, sent as a browser would (the key, when it has one)."""
    fields = {"csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)}
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    if key:
        fields["idempotency_key"] = key.group(1)
    return fields


@pytest.mark.multiprocess
def test_five_identical_posts_at_once_store_one_post_on_sqlite(e2e_server):
    client = _Browserless(e2e_server.url)
    client.login(USER)
    topic = {
        "title": "Gửi cùng lúc trên SQLite",
        "body": "Chủ đề để thử gửi trùng",
        **_form_fields(client.get("/forum/new/")),
    }
    results: list = [None] * 5
    barrier = threading.Barrier(5)

    def send(index: int, path: str, data: dict) -> None:
        barrier.wait(timeout=10)
        results[index] = client.post(path, data)

    def at_once(path: str, data: dict) -> set:
        threads = [threading.Thread(target=send, args=(i, path, data)) for i in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert all(r is not None and r[0] == 200 for r in results), results
        return {r[1] for r in results}

    landed = at_once("/forum/new/", topic)
    assert len(landed) == 1 and _count(e2e_server, "Chủ đề để thử gửi trùng") == 1
    topic_path = urllib.parse.urlsplit(landed.pop()).path
    reply = {"body": "Năm lần bấm, một ý kiến", **_form_fields(client.get(topic_path))}
    landed = at_once(topic_path, reply)
    assert len(landed) == 1 and "?post=" in landed.pop()
    assert _count(e2e_server, "Năm lần bấm, một ý kiến") == 1


@pytest.mark.browser
def test_a_reply_whose_answer_was_lost_is_stored_once_after_the_fallback(context, e2e_server):
    page = context.new_page()
    login(page, BROWSER_USER)
    page.goto("/forum/new/")
    page.fill("input[name=title]", "Mất câu trả lời")
    page.fill("textarea[name=body]", "Mở chủ đề")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/forum/topics/\d+/$"))
    lost = {"count": 0}

    def lose_the_first_answer(route, request):
        # The first background POST reaches the server and is stored, but its answer never
        # reaches the page (the connection drops): forum.js falls back to form.submit().
        if request.method == "POST" and request.headers.get("x-requested-with") == "fetch" and not lost["count"]:
            lost["count"] += 1
            lost["answer"] = route.fetch().json()  # stored on the server
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r"/forum/topics/\d+/$"), lose_the_first_answer)
    text = "Ý kiến chỉ được lưu một lần"
    page.fill("textarea[name=body]", text)
    page.locator("[data-reply-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"\?post=\d+"))
    expect(page.locator(".post-body", has_text=text)).to_have_count(1)
    assert lost["count"] == 1 and lost["answer"]["ok"] is True
    assert _count(e2e_server, text) == 1
    # The next reply from the same page is a new submission with a key of its own.
    page.unroute(re.compile(r"/forum/topics/\d+/$"))
    page.fill("textarea[name=body]", text)
    page.locator("[data-reply-form] button[type=submit]").click()
    expect(page.locator(".post-body", has_text=text)).to_have_count(2)
    assert _count(e2e_server, text) == 2
