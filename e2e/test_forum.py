"""Two members on the same themed session, in two browsers: a post appears live in the other
browser, the typing indicator shows, and posts made while one browser's socket was cut appear
when it comes back (the page reconnects with ?after_seq=<last change it has>)."""

import time

import pytest
from playwright.sync_api import expect

from e2e.conftest import login

pytestmark = pytest.mark.browser


def _open_session_url(page) -> str:
    page.goto("/forum/")
    link = page.locator(".forum-row:has(.state-open) a.forum-title").first
    return link.get_attribute("href").split("?")[0]


def test_it_shows_posts_live_typing_and_catches_up_after_a_cut(browser, live_server_url):
    contexts = [
        browser.new_context(base_url=live_server_url, locale="vi-VN", viewport={"width": 420, "height": 900})
        for _ in range(2)
    ]
    try:
        bithu, dangvien = (c.new_page() for c in contexts)
        for page in (bithu, dangvien):
            page.set_default_timeout(10_000)
        login(bithu, "bithu")
        login(dangvien, "dangvien")

        # bithu's socket goes through a relay the test can cut and restore.
        state = {"cut": False, "relays": [], "opened": 0}

        def relay(ws):
            if state["cut"]:
                ws.close()
                return
            ws.connect_to_server()
            state["relays"].append(ws)
            state["opened"] += 1

        bithu.route_web_socket("**/ws/forum/topics/**", relay)
        url = _open_session_url(bithu)
        bithu.goto(url)
        dangvien.goto(url)
        expect(bithu.locator("[data-presence]")).to_contain_text("Nguyễn Văn Hùng")

        dangvien.fill("textarea[name=body]", "Tôi đề nghị")
        expect(bithu.locator("[data-typing]")).to_contain_text("Nguyễn Văn Hùng")

        dangvien.fill("textarea[name=body]", "Ý kiến trực tiếp về **đại đoàn kết**")
        started = time.monotonic()
        dangvien.locator("[data-reply-form] button[type=submit]").click()
        expect(bithu.locator(".post-body strong", has_text="đại đoàn kết")).to_be_visible()
        print(f"post seen by the other browser after {(time.monotonic() - started) * 1000:.0f} ms")
        assert bithu.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload

        # Cut bithu's socket; while it is down dangvien posts twice.
        state["cut"] = True
        for ws in state["relays"]:
            ws.close()
        for text in ("Ý kiến thứ nhất khi mất kết nối", "Ý kiến thứ hai khi mất kết nối"):
            dangvien.fill("textarea[name=body]", text)
            dangvien.locator("[data-reply-form] button[type=submit]").click()
            expect(dangvien.locator(".post-body", has_text=text)).to_be_visible()
        expect(bithu.locator(".post-body", has_text="khi mất kết nối")).to_have_count(0)
        opened = state["opened"]
        state["cut"] = False
        expect(bithu.locator(".post-body", has_text="Ý kiến thứ nhất khi mất kết nối")).to_be_visible(timeout=20_000)
        expect(bithu.locator(".post-body", has_text="Ý kiến thứ hai khi mất kết nối")).to_be_visible()
        assert state["opened"] > opened  # it came back through a new socket, not a reload
        ids = bithu.eval_on_selector_all("[data-post-id]", "els => els.map(e => +e.dataset.postId)")
        assert ids == sorted(ids) and len(ids) == len(set(ids))
    finally:
        for c in contexts:
            c.close()
