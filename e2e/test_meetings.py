"""The secretary's meeting pages on a 360 px phone: schedule a meeting, take attendance,
open a vote; a member votes with JavaScript off; the secretary's open tally moves live.
Screenshots go to e2e/artifacts/ to be looked at."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import login

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}


def _fits(page) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_secretary_holds_a_meeting_on_a_phone_and_a_member_votes_without_javascript(
    browser, live_server_url, artifacts
):
    secretary = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE)
    member = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE, java_script_enabled=False)
    try:
        bithu, dangvien = secretary.new_page(), member.new_page()
        for page in (bithu, dangvien):
            page.set_default_timeout(10_000)
        login(bithu, "bithu")
        login(dangvien, "dangvien")

        bithu.goto("/forum/meetings/new/")
        bithu.fill("#id_title", "Sinh hoạt chi bộ thường kỳ tháng 1 năm 2021")
        bithu.fill("#id_meeting_at", "2021-01-04T08:00")
        bithu.fill("#id_place", "Phòng họp tầng 2")
        bithu.fill("#id_online_url", "https://meet.jit.si/chibo-2021-01")
        bithu.fill("#id_agenda", "1. Kiểm điểm tháng 12\n2. Nhiệm vụ tháng 1")
        _fits(bithu)
        bithu.screenshot(path=str(artifacts / "meeting-new-360.png"), full_page=True)
        bithu.locator("form button[type=submit].primary").click()
        expect(bithu.locator(".meeting-notice")).to_contain_text("Phòng họp tầng 2")
        topic_url = bithu.url.split("?")[0]
        _fits(bithu)
        bithu.screenshot(path=str(artifacts / "meeting-topic-360.png"), full_page=True)

        bithu.goto(topic_url + "attendance/")
        expect(bithu.locator("h1")).to_have_text("Điểm danh")
        _fits(bithu)
        row = bithu.locator("fieldset.attendance-row", has_text="Nguyễn Văn Hùng")  # dangvien
        row.locator("input[value=present]").check()
        bithu.locator("button[type=submit].primary").click()
        expect(bithu.locator(".messages")).to_contain_text("Đã lưu điểm danh")
        bithu.screenshot(path=str(artifacts / "meeting-attendance-360.png"), full_page=True)

        bithu.goto(topic_url + "votes/")
        bithu.fill("#id_text", "Thông qua kế hoạch tháng 1")
        bithu.locator("form[action$='/votes/open/'] button[type=submit]").click()
        expect(bithu.locator(".motion h2")).to_have_text("Thông qua kế hoạch tháng 1")
        expect(bithu.locator("[data-votes][data-live]")).to_be_attached()  # the page's socket is open

        dangvien.goto(topic_url + "votes/")
        dangvien.locator(".motion input[name=choice][value='0']").check()
        dangvien.locator(".motion button[type=submit].primary").click()
        expect(dangvien.locator(".motion")).to_contain_text("Đồng chí đã biểu quyết")
        _fits(dangvien)
        dangvien.screenshot(path=str(artifacts / "meeting-vote-nojs-360.png"), full_page=True)

        expect(bithu.locator(".motion [data-count='0']")).to_have_text("1")  # live, no reload
        expect(bithu.locator(".motion [data-voted]")).to_have_text("1")
        expect(bithu.locator(".motion [data-share='0']")).to_have_text("100,0%")
        _fits(bithu)
        bithu.screenshot(path=str(artifacts / "meeting-votes-360.png"), full_page=True)

        dangvien.goto(topic_url + "votes/")
        assert dangvien.locator(".motion form[action$='/vote/']").count() == 0  # no second vote offered
    finally:
        secretary.close()
        member.close()
