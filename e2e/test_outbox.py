"""Issue 13, what is typed offline, in Chromium at 360 px with the network switched off and on:
a reply queued on a topic page is sent exactly once by whatever comes first once the network
is back (the worker's Background Sync, the `online` event, or the next load of any page, not
only a topic page); a lesson opened once opens offline; logging out leaves nothing of the
member on the device (queue, kept drafts, pages)."""

import sqlite3
import time

import pytest
from playwright.sync_api import expect

from e2e.conftest import login
from e2e.test_pwa import CONTROLLED, LOCK_TOPIC, MAKE_TOPIC, lessons_of_first_module, posts_with

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
# How many items wait in the outbox (IndexedDB "chibo"), without making the database.
QUEUED = """() => indexedDB.databases().then(dbs => !dbs.some(d => d.name === 'chibo') ? 0 : new Promise(done => {
  const open = indexedDB.open('chibo');
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('outbox')) { db.close(); done(0); return; }
    const count = db.transaction('outbox').objectStore('outbox').count();
    count.onsuccess = () => { db.close(); done(count.result); };
  };
}))"""
EMPTY = "() => (" + QUEUED + ")().then(n => n === 0)"


def phone(browser, live_server_url, **options):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE, **options)
    context.set_default_timeout(10_000)
    return context


def new_topic(e2e_server, title: str) -> int:
    return int(e2e_server.manage("shell", "-c", MAKE_TOPIC.format(title=title)).stdout.split()[-1])


def queue_reply(context, topic: int, text: str, *, before_sending=None):
    """Type and send a reply with the network off; it waits in the outbox. `before_sending`
    runs once the topic page is open, before the network goes off."""
    page = context.new_page()
    login(page, "dangvien")
    page.goto(f"/forum/topics/{topic}/")
    if before_sending:
        before_sending()
    context.set_offline(True)
    page.fill("textarea[name=body]", text)
    page.locator("[data-reply-form] button[type=submit]").click()
    expect(page.locator("[data-outbox] textarea")).to_have_value(text)
    return page


def wait_for_posts(e2e_server, text: str, count: int, timeout: float = 15) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and posts_with(e2e_server, text) < count:
        time.sleep(0.2)
    return posts_with(e2e_server, text)


def test_a_reply_queued_offline_goes_from_the_next_page_loaded_whatever_it_is(browser, live_server_url, e2e_server):
    # No service worker at all (an older browser): the next page loaded sends it.
    context = phone(browser, live_server_url, service_workers="block")
    try:
        topic = new_topic(e2e_server, "Gửi từ trang khác")
        text = "Gõ khi mất mạng, gửi từ trang chủ"
        page = queue_reply(context, topic, text)
        page.close()  # the topic page is gone before the network comes back
        context.set_offline(False)
        assert posts_with(e2e_server, text) == 0
        home = context.new_page()
        home.goto("/courses/")
        assert wait_for_posts(e2e_server, text, 1) == 1
        home.wait_for_function(EMPTY)
        home.reload()
        home.goto(f"/forum/topics/{topic}/")
        expect(home.locator(".post-body", has_text=text)).to_have_count(1)
        expect(home.locator("[data-outbox]")).to_have_count(0)
        assert posts_with(e2e_server, text) == 1  # exactly once
    finally:
        context.close()


def test_a_reply_queued_offline_is_sent_by_background_sync_with_no_page_open(browser, live_server_url, e2e_server):
    context = phone(browser, live_server_url)
    try:
        topic = new_topic(e2e_server, "Đồng bộ nền")
        text = "Gửi bằng đồng bộ nền"
        page = queue_reply(context, topic, text)
        page.wait_for_function(CONTROLLED)
        has_sync = page.evaluate("() => navigator.serviceWorker.ready.then(r => 'sync' in r)")
        tags = page.evaluate("() => navigator.serviceWorker.ready.then(r => r.sync ? r.sync.getTags() : [])")
        assert has_sync and "chibo-outbox" in tags, tags
        blank = context.new_page()  # keeps the context (and its worker) alive; not a page of the site
        page.close()
        context.set_offline(False)
        # No page of the site is open: only the worker's `sync` event can send it now.
        if wait_for_posts(e2e_server, text, 1, timeout=20) == 0:
            pytest.skip("this Chromium fires no sync event for the emulated network coming back")
        blank.goto("/")
        blank.wait_for_function(EMPTY)
        assert posts_with(e2e_server, text) == 1
    finally:
        context.close()


def test_offline_on_a_phone_a_lesson_opens_and_a_reply_arrives_once(browser, live_server_url, e2e_server):
    _module, lessons, _documents = lessons_of_first_module(e2e_server)
    context = phone(browser, live_server_url)
    try:
        page = context.new_page()
        login(page, "dangvien")
        page.wait_for_function(CONTROLLED)
        page.goto(f"/courses/lessons/{lessons[1]}/")
        title = page.locator("h1").inner_text()
        topic = new_topic(e2e_server, "Điện thoại mất sóng")
        page.goto(f"/forum/topics/{topic}/")
        context.set_offline(True)
        page.goto(f"/courses/lessons/{lessons[1]}/")
        expect(page.locator("h1")).to_have_text(title)
        page.go_back()
        page.goto(f"/forum/topics/{topic}/")  # never kept: the offline page
        expect(page.locator("h1")).to_have_text("Đồng chí đang ngoại tuyến")
        context.set_offline(False)
        page.goto(f"/forum/topics/{topic}/")
        text = "Ý kiến gõ trên điện thoại khi mất sóng"
        context.set_offline(True)
        page.fill("textarea[name=body]", text)
        page.locator("[data-reply-form] button[type=submit]").click()
        expect(page.locator("[data-outbox]")).to_contain_text("Không có mạng")
        context.set_offline(False)
        expect(page.locator(".post-body", has_text=text)).to_have_count(1)
        expect(page.locator("[data-outbox]")).to_be_hidden()
        page.reload()
        page.goto("/")
        page.goto(f"/forum/topics/{topic}/")
        expect(page.locator(".post-body", has_text=text)).to_have_count(1)
        assert posts_with(e2e_server, text) == 1
    finally:
        context.close()


def test_a_refused_reply_comes_back_on_another_page_and_logging_out_wipes_the_device(
    browser, live_server_url, e2e_server
):
    # No worker here: the page's own path is the one under test.
    context = phone(browser, live_server_url, service_workers="block")
    # The topic is closed after the member opened it and before the reply can go: closed
    # before it is typed, as Chromium's emulated offline switch now and then lets the page's
    # POST reach the server (the answer is lost, so the page queues it all the same). The
    # topic page's socket is a stand-in, so the page does not reload on the closing.
    context.route_web_socket("**/ws/forum/**", lambda socket: None)
    try:
        topic = new_topic(e2e_server, "Khóa rồi đăng xuất")
        text = "Bài giữ lại rồi bị xóa khi đăng xuất"
        lock = lambda: e2e_server.manage("shell", "-c", LOCK_TOPIC.format(pk=topic))  # noqa: E731
        page = queue_reply(context, topic, text, before_sending=lock)
        page.goto("about:blank")
        assert posts_with(e2e_server, text) == 0
        context.set_offline(False)
        page.goto("/courses/")
        # Refused (the topic closed): the member is told, with a link to where the text waits.
        toast = page.locator("[data-toast]")
        expect(toast).to_contain_text("Nội dung giữ trên thiết bị này không gửi được:")
        assert toast.locator("a").get_attribute("href") == f"/forum/topics/{topic}/"
        page.goto(f"/forum/topics/{topic}/")
        expect(page.locator("[data-outbox] textarea")).to_have_value(text)
        page.evaluate("() => localStorage.setItem('chibo:pledge-unsaved:/x/', '{}')")
        assert page.evaluate(QUEUED) == 1

        page.locator("summary.menu-button").click()  # on a phone "Đăng xuất" is behind "Menu"
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url("**/accounts/login/")
        assert page.evaluate("() => indexedDB.databases().then(d => d.map(x => x.name))") == []
        assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('chibo'))") == []
        assert page.evaluate("() => caches.open('chibo-pages').then(c => c.keys()).then(k => k.length)") == 0
        login(page, "dangvien2")
        page.goto(f"/forum/topics/{topic}/")
        expect(page.locator("[data-outbox]")).to_have_count(0)
        assert posts_with(e2e_server, text) == 0
    finally:
        context.close()


def test_a_reply_kept_on_a_shared_phone_is_sent_only_under_its_authors_name(browser, live_server_url, e2e_server):
    # The member's session ends without a logout (nothing is wiped) and a comrade of the same
    # cell logs in on the same phone: the reply is neither sent under the comrade's name nor
    # shown to them; it goes, once, when its author logs in again.
    context = phone(browser, live_server_url, service_workers="block")
    try:
        topic = new_topic(e2e_server, "Máy dùng chung")
        text = "Gõ trên máy dùng chung, chỉ gửi dưới tên người gõ"
        page = queue_reply(context, topic, text)
        page.close()
        context.set_offline(False)
        context.clear_cookies()  # the session is gone; the device's outbox stays
        other = context.new_page()
        login(other, "bithu")
        other.goto(f"/forum/topics/{topic}/")
        other.wait_for_timeout(1500)  # long enough for a flush to have gone
        expect(other.locator("[data-outbox]")).to_have_count(0)
        assert posts_with(e2e_server, text) == 0
        assert other.evaluate(QUEUED) == 1
        context.clear_cookies()
        login(other, "dangvien")
        assert wait_for_posts(e2e_server, text, 1) == 1
        other.wait_for_function(EMPTY)
        with sqlite3.connect(f"file:{e2e_server.env['SQLITE_PATH']}?mode=ro", uri=True) as db:
            author = db.execute(
                "SELECT u.username FROM forum_post p JOIN accounts_user u ON u.id = p.author_id"
                " WHERE p.body_source = ?",
                (text,),
            ).fetchone()[0]
        assert author == "dangvien"
    finally:
        context.close()
