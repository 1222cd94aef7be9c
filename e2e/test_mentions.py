"""Typing "@hu" in the reply box offers the cell's members by name ("hu" finds "Hùng"); the
keyboard chooses one, which writes @login, and the sent post shows the mention as a link
with the member's name. At 360 px."""

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
