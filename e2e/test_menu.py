"""Issue 13's phone polish: every item of the main menu can be seen and reached at 360 px,
with the browser's text at 100% and at 200% (no row that scrolls sideways out of sight), and
at 200% text the header keeps to about a quarter of the first screen: on a phone the menu
folds behind a "Menu" button (a <details>, which opens without JavaScript)."""

import pytest

from e2e.conftest import login

pytestmark = pytest.mark.browser
ITEMS = """() => [...document.querySelectorAll('.site-nav a, .account-nav a, .account-nav button')].map(a => {
  const r = a.getBoundingClientRect();
  const visible = a.checkVisibility() && r.width > 0 && r.height > 0;
  return { text: a.textContent.trim(), left: r.left, right: r.right, visible };
})"""
HEADER_HEIGHT = "() => document.querySelector('.site-header').getBoundingClientRect().height"
HEIGHT = 740


def _context(browser, live_server_url, width, javascript=True):
    return browser.new_context(
        base_url=live_server_url,
        locale="vi-VN",
        viewport={"width": width, "height": HEIGHT},
        java_script_enabled=javascript,
    )


@pytest.mark.parametrize("text_size", ["100%", "200%"])
@pytest.mark.parametrize("username", ["dangvien", "bithu"])
def test_every_menu_item_is_in_sight_at_360_px(browser, live_server_url, artifacts, username, text_size):
    context = _context(browser, live_server_url, 360)
    try:
        page = context.new_page()
        login(page, username)
        page.evaluate("size => { document.documentElement.style.fontSize = size; }", text_size)
        # Folded: the header leaves the first screen to the page.
        assert not [item for item in page.evaluate(ITEMS) if item["visible"]]
        header = page.evaluate(HEADER_HEIGHT)
        page.screenshot(path=str(artifacts / f"menu-{username}-{text_size[:-1]}-closed.png"))
        assert header <= 0.25 * HEIGHT, header
        button = page.locator("summary.menu-button")
        assert button.inner_text().strip().endswith("Menu")
        button.click()
        items = page.evaluate(ITEMS)
        page.screenshot(path=str(artifacts / f"menu-{username}-{text_size[:-1]}.png"), full_page=True)
        assert "Diễn đàn" in [item["text"] for item in items]
        assert "Đăng xuất" in [item["text"] for item in items]
        hidden = [item for item in items if not item["visible"] or item["left"] < 0 or item["right"] > 360]
        assert not hidden, hidden
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        page.get_by_role("link", name="Diễn đàn", exact=True).click()
        page.wait_for_url("**/forum/**")
    finally:
        context.close()


def test_the_menu_opens_without_javascript(browser, live_server_url, artifacts):
    context = _context(browser, live_server_url, 360, javascript=False)
    try:
        page = context.new_page()
        login(page, "dangvien")
        forum = page.get_by_role("link", name="Diễn đàn", exact=True)
        assert not forum.is_visible()
        page.locator("summary.menu-button").click()
        assert forum.is_visible()
    finally:
        context.close()


def test_the_menu_is_inline_on_a_wide_screen(browser, live_server_url, artifacts):
    context = _context(browser, live_server_url, 1280)
    try:
        page = context.new_page()
        login(page, "bithu")
        page.screenshot(path=str(artifacts / "menu-bithu-1280.png"))
        assert not page.locator("summary.menu-button").is_visible()
        items = page.evaluate(ITEMS)
        assert "Diễn đàn" in [item["text"] for item in items]
        assert all(item["visible"] for item in items), items
    finally:
        context.close()
