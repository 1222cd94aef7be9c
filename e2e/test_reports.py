"""The reports in a real browser at phone and desktop width: the secretary's overview, the
officer's drill-down from the province to a cell, and a plain member refused. Screenshots go
to e2e/artifacts/ for a person to look at."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import login

pytestmark = pytest.mark.browser

WIDTHS = [(360, 780), (1280, 900)]


def _csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def _fits(page) -> None:
    """Nothing but the table's own box scrolls sideways."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, overflow


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_secretary_opens_her_cells_overview(browser, live_server_url, artifacts, width, height):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport={"width": width, "height": height})
    page = context.new_page()
    errors = _csp_errors(page)
    login(page, "bithu")
    page.goto("/")
    page.locator("main a[href^='/reports/units/']").first.click()
    expect(page.locator("h1")).to_contain_text("Chi bộ Văn phòng Tỉnh ủy")
    expect(page.locator("table.report-table tbody tr").first).to_be_visible()
    expect(page.locator("tfoot .counts-row")).to_be_visible()
    _fits(page)
    page.screenshot(path=str(artifacts / f"reports-cell-{width}.png"), full_page=True)
    page.select_option("#id_need", index=1)
    page.locator("form.report-filter button[type=submit]").click()
    page.wait_for_url(re.compile(r"need="))
    expect(page.locator("h1")).to_contain_text("Chi bộ Văn phòng Tỉnh ủy")
    assert not errors, errors
    context.close()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_officer_drills_down_from_the_province(browser, live_server_url, artifacts, width, height):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport={"width": width, "height": height})
    page = context.new_page()
    errors = _csp_errors(page)
    login(page, "canbo")
    page.goto("/reports/")
    expect(page.locator("h1")).to_contain_text("Tỉnh ủy Quảng Trị")
    expect(page.locator("svg.bar").first).to_be_attached()
    _fits(page)
    page.screenshot(path=str(artifacts / f"reports-province-{width}.png"), full_page=True)
    page.locator("table.report-table tbody th a").first.click()
    expect(page.locator("nav.breadcrumbs")).to_contain_text("Tỉnh ủy Quảng Trị")
    page.locator("table.report-table tbody th a").first.click()
    expect(page.locator("table.report-table tbody tr").first).to_be_visible()
    expect(page.locator("nav.breadcrumbs li")).to_have_count(3)
    assert not errors, errors
    context.close()


def test_a_plain_member_is_refused(page):
    login(page, "dangvien")
    response = page.goto("/reports/")
    assert response.status == 403
    assert page.locator("a[href='/reports/']").count() == 0
