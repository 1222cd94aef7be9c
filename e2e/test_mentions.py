"""Typing "@hu" in the reply box, on the new-topic page or on the post edit page offers the
cell's members by name ("hu" finds "Hùng"); the keyboard chooses one, which writes @login,
and the sent post shows the mention as a link with the member's name. At 360 px."""

import secrets

import pytest
from playwright.sync_api import expect

from e2e.conftest import login

pytestmark = pytest.mark.browser


def test_at_hu_offers_hung_and_the_post_links_the_mention(browser, live_server_url, artifacts):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport={"width": 360, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, "bithu")
        page.goto("/forum/")
        url = page.locator(".forum-row:has(.state-open) a.forum-title").first.get_attribute("href").split("?")[0]
        page.goto(url)
        box = page.locator("textarea[name=body]")
        box.click()
        box.press_sequentially("Đề nghị @hu")
        listbox = page.locator("#mention-list[role=listbox]")
        expect(listbox).to_be_visible()
        option = listbox.get_by_role("option", name="Nguyễn Văn Hùng")
        expect(option).to_be_visible()
        assert box.get_attribute("aria-expanded") == "true"
        active = box.get_attribute("aria-activedescendant")
        assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
        width = listbox.bounding_box()["width"]
        assert width <= 360
        page.screenshot(path=str(artifacts / "mention-360.png"))

        # Escape closes it; typing on opens it again; Down then Enter chooses with the keyboard.
        box.press("Escape")
        expect(listbox).to_be_hidden()
        box.press_sequentially("n")
        expect(option).to_be_visible()
        names = listbox.get_by_role("option").all_inner_texts()
        for _ in range(names.index("Nguyễn Văn Hùng")):
            box.press("ArrowDown")
        box.press("Enter")
        expect(listbox).to_be_hidden()
        assert box.input_value() == "Đề nghị @dangvien "
        box.press_sequentially("cho ý kiến")
        page.locator("[data-reply-form] button[type=submit]").click()
        mention = page.locator(".post-body a.mention", has_text="@Nguyễn Văn Hùng").last
        expect(mention).to_be_visible()
        assert "q=%40dangvien" in mention.get_attribute("href")
    finally:
        context.close()


def _phone(browser, live_server_url):
    return browser.new_context(base_url=live_server_url, locale="vi-VN", viewport={"width": 360, "height": 800})


def _choose_hung(page, box) -> None:
    """The list is open under the box: choose "Nguyễn Văn Hùng" with the keyboard."""
    listbox = page.locator("#mention-list[role=listbox]")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option", name="Nguyễn Văn Hùng")
    expect(option).to_be_visible()
    assert box.get_attribute("aria-expanded") == "true"
    assert listbox.bounding_box()["width"] <= 360
    for _ in range(listbox.get_by_role("option").all_inner_texts().index("Nguyễn Văn Hùng")):
        box.press("ArrowDown")
    box.press("Enter")
    expect(listbox).to_be_hidden()


def test_the_new_topic_page_offers_the_cells_members(browser, live_server_url, artifacts):
    context = _phone(browser, live_server_url)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, "bithu")
        page.goto("/forum/new/")
        page.fill("input[name=title]", f"Chuẩn bị sinh hoạt {secrets.token_hex(3)}")
        box = page.locator("textarea[name=body]")
        box.click()
        # The topic does not exist yet: the list is the cell's, asked on the first "@".
        with page.expect_response(lambda r: "/forum/cells/" in r.url and r.url.endswith("/members/")) as asked:
            box.press_sequentially("Đề nghị @hu")
        assert asked.value.status == 200
        page.screenshot(path=str(artifacts / "mention-new-topic-360.png"))
        _choose_hung(page, box)
        assert box.input_value() == "Đề nghị @dangvien "
        box.press_sequentially("chuẩn bị ý kiến")
        page.locator("form[data-mention-url] button[type=submit]").click()
        page.wait_for_url("**/forum/topics/*/")
        mention = page.locator(".post-body a.mention", has_text="@Nguyễn Văn Hùng").first
        expect(mention).to_be_visible()
        assert "q=%40dangvien" in mention.get_attribute("href")
    finally:
        context.close()


def test_the_edit_page_offers_the_cells_members(browser, live_server_url, artifacts):
    context = _phone(browser, live_server_url)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, "bithu")
        page.goto("/forum/new/")
        page.fill("input[name=title]", f"Sửa bài {secrets.token_hex(3)}")
        page.fill("textarea[name=body]", "Bản đầu tiên.")
        page.locator("form[data-mention-url] button[type=submit]").click()
        page.wait_for_url("**/forum/topics/*/")
        topic_url = page.url.split("?")[0].split("#")[0]
        page.locator("article a[href$='/edit/']").first.click()
        page.wait_for_url("**/forum/posts/*/edit/")
        box = page.locator("textarea[name=body]")
        box.click()
        box.press("Control+End")
        with page.expect_response(lambda r: r.url.startswith(topic_url) and r.url.endswith("/members/")) as asked:
            box.press_sequentially(" Xin @hu")
        assert asked.value.status == 200
        page.screenshot(path=str(artifacts / "mention-edit-360.png"))
        _choose_hung(page, box)
        assert box.input_value() == "Bản đầu tiên. Xin @dangvien "
        page.locator("form[data-mention-url] button[type=submit]").click()
        page.wait_for_url(lambda url: "/edit/" not in url)
        mention = page.locator(".post-body a.mention", has_text="@Nguyễn Văn Hùng").first
        expect(mention).to_be_visible()
    finally:
        context.close()
