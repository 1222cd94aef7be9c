"""Issue 13 in Chromium: the site installs as an app, and what a member opened (or saved)
opens again with the network off; a page never opened shows the offline page; logging out
drops the member's pages from the device."""

import sqlite3

import pytest
from playwright.sync_api import expect

from e2e.conftest import login

pytestmark = pytest.mark.browser

CONTROLLED = "() => navigator.serviceWorker.controller !== null"


def lessons_of_first_module(e2e_server) -> tuple[int, list[int], list[int]]:
    with sqlite3.connect(f"file:{e2e_server.env['SQLITE_PATH']}?mode=ro", uri=True) as db:
        module = db.execute("SELECT id FROM courses_module ORDER BY id").fetchone()[0]
        rows = db.execute("SELECT id FROM courses_lesson WHERE module_id = ? ORDER BY position", (module,))
        lessons = [r[0] for r in rows]
        documents = [
            r[0]
            for r in db.execute(
                "SELECT d.id FROM courses_lessondocument d JOIN courses_lesson l ON l.id = d.lesson_id"
                " WHERE l.module_id = ?",
                (module,),
            )
        ]
    return module, lessons, documents


def test_chromium_finds_the_site_installable(browser, live_server_url, tmp_path):
    # A profile on disk: Chromium never offers to install from an incognito-like context.
    from e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, base_url=live_server_url
    )
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.wait_for_function(CONTROLLED)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        assert manifest["url"].endswith("/manifest.webmanifest")
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
        assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
        shells = page.evaluate("() => caches.keys()")
        assert [name for name in shells if name.startswith("chibo-shell-")], shells
    finally:
        context.close()


def test_a_member_reads_offline_what_they_opened_or_saved(page, context, e2e_server):
    module, lessons, documents = lessons_of_first_module(e2e_server)
    assert len(lessons) >= 3 and documents
    login(page, "dangvien")
    page.goto(f"/courses/{module}/")
    page.wait_for_function(CONTROLLED)
    page.goto(f"/courses/lessons/{lessons[0]}/")
    title = page.locator("h1").inner_text()

    context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_have_text(title)
    # Never opened: the offline page, in Vietnamese.
    page.goto(f"/courses/lessons/{lessons[-1]}/")
    expect(page.locator("h1")).to_have_text("Đồng chí đang ngoại tuyến")
    page.goto("/forum/")
    expect(page.locator("h1")).to_have_text("Đồng chí đang ngoại tuyến")

    # One tap saves the whole module, its documents too.
    context.set_offline(False)
    page.goto(f"/courses/{module}/")
    page.get_by_role("button", name="Lưu để học ngoại tuyến").click()
    expect(page.locator("[data-save-offline-status]")).to_have_text(
        "Đã lưu: chuyên đề này mở được trên thiết bị này khi không có mạng."
    )
    context.set_offline(True)
    page.goto(f"/courses/lessons/{lessons[-1]}/")
    expect(page.locator("article.lesson h1")).to_be_visible()
    assert page.locator("h1").inner_text() != "Đồng chí đang ngoại tuyến"
    pdf = page.evaluate(
        """url => fetch(url).then(r => r.arrayBuffer().then(b => [r.status, r.headers.get('content-type'),
             String.fromCharCode.apply(null, new Uint8Array(b.slice(0, 5)))]))""",
        f"/courses/documents/{documents[0]}/",
    )
    assert pdf == [200, "application/pdf", "%PDF-"]

    # Logging out drops the member's pages from this device.
    context.set_offline(False)
    page.goto("/")
    assert page.evaluate("() => caches.open('chibo-pages').then(c => c.keys()).then(k => k.length)") > 0
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate("() => caches.open('chibo-pages').then(c => c.keys()).then(k => k.length)") == 0
    context.set_offline(True)
    page.goto(f"/courses/lessons/{lessons[0]}/")
    expect(page.locator("h1")).to_have_text("Đồng chí đang ngoại tuyến")
