"""Issue 13's phone polish: every item of the main menu can be seen and reached at 360 px,
with the browser's text at 100% and at 200% (no row that scrolls sideways out of sight)."""

import pytest

from e2e.conftest import login

pytestmark = pytest.mark.browser
ITEMS = """() => [...document.querySelectorAll('.site-nav a')].map(a => {
  const r = a.getBoundingClientRect();
  return { text: a.textContent.trim(), left: r.left, right: r.right, visible: r.width > 0 && r.height > 0 };
})"""


@pytest.mark.parametrize("text_size", ["100%", "200%"])
@pytest.mark.parametrize("username", ["dangvien", "bithu"])
def test_every_menu_item_is_in_sight_at_360_px(browser, live_server_url, artifacts, username, text_size):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        login(page, username)
        page.evaluate("size => { document.documentElement.style.fontSize = size; }", text_size)
        items = page.evaluate(ITEMS)
        page.screenshot(path=str(artifacts / f"menu-{username}-{text_size[:-1]}.png"))
        assert "Diễn đàn" in [item["text"] for item in items]
        hidden = [item for item in items if not item["visible"] or item["left"] < 0 or item["right"] > 360]
        assert not hidden, hidden
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
