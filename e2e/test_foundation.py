"""A member logs in, sees their cell in Vietnamese, and the bell updates live without a reload.

The live notification comes from another process: `manage.py send_notification` run against
the server's database and Redis channel layer, as any background job would send one. (The
in-memory channel layer reaches only the sockets of its own process, so without Redis that
test skips; CI has Redis.) The read-in-another-tab test needs no second process.
"""

import os
import time

import pytest
from playwright.sync_api import expect

from e2e.conftest import login

pytestmark = pytest.mark.browser


def unread_badge(page):
    return page.locator("[data-unread-count]")


def wait_for_socket(page, frames: list[str], timeout: float = 10) -> None:
    """Wait until the page's notification socket has said hello (the unread count on connect)."""
    deadline = time.monotonic() + timeout
    while not any('"notification.unread"' in frame for frame in frames):
        if time.monotonic() > deadline:
            raise AssertionError(f"the notification socket did not open; frames: {frames}")
        page.wait_for_timeout(50)


def record_socket_frames(page) -> list[str]:
    frames: list[str] = []

    def on_socket(ws):
        if ws.url.endswith("/ws/notifications/"):
            ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else ""))

    page.on("websocket", on_socket)
    return frames


def test_it_shows_a_member_their_cell_in_vietnamese(page):
    login(page, "dangvien")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_contain_text("Xin chào đồng chí")
    expect(page.locator("#my-cell")).to_have_text("Chi bộ của tôi: Chi bộ Văn phòng Tỉnh ủy")
    page.locator("summary.menu-button").click()  # a phone-sized window: the menu is behind "Menu"
    expect(page.get_by_role("link", name="Trang chủ")).to_be_visible()


def test_it_delivers_a_notification_live_without_reloading(page, e2e_server, artifacts):
    if not e2e_server.redis_url:
        reason = "a notification from another process needs Redis (REDIS_URL or redis://127.0.0.1:6379/2)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    frames = record_socket_frames(page)
    login(page, "dangvien")
    wait_for_socket(page, frames)
    before = int(unread_badge(page).text_content())
    # Anything that survives until the end proves the page was not reloaded.
    page.evaluate("window.__notReloaded = true")

    message = "Họp chi bộ định kỳ lúc 8 giờ sáng thứ Hai"
    e2e_server.manage("send_notification", "dangvien", message, "--url", "/notifications/", "--no-email")

    expect(unread_badge(page)).to_have_text(str(before + 1), timeout=5_000)
    expect(unread_badge(page)).not_to_have_class("badge is-empty")
    toast = page.locator("[data-toast]")
    expect(toast).to_have_text(message)
    expect(toast.locator("a")).to_have_attribute("href", "/notifications/")
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path=str(artifacts / "foundation-live-notification.png"), full_page=True)


def test_it_updates_the_bell_when_notifications_are_read_in_another_tab(context, e2e_server):
    e2e_server.manage("send_notification", "dangvien", "Một thông báo chưa đọc", "--no-email")
    home = context.new_page()
    frames = record_socket_frames(home)
    login(home, "dangvien")
    wait_for_socket(home, frames)
    assert int(unread_badge(home).text_content()) >= 1
    home.evaluate("window.__notReloaded = true")

    other_tab = context.new_page()
    other_tab.goto("/notifications/")
    other_tab.get_by_role("button", name="Đánh dấu tất cả là đã đọc").click()
    expect(unread_badge(other_tab)).to_have_text("0")

    expect(unread_badge(home)).to_have_text("0", timeout=5_000)
    expect(unread_badge(home)).to_have_class("badge is-empty")
    assert home.evaluate("window.__notReloaded") is True
