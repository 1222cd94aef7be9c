"""The pledge cycle in a real browser, as the issue asks: a draft typed and the page closed
at once is there when reopened (saved on pagehide); a second tab's stale save is refused and
keeps its text; then return with a comment, resubmit, approve, self-review and rating, with
the timeline showing every step. The tests share the demo database: they run in file order."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import login

pytestmark = pytest.mark.browser

SECTIONS = [
    "Kiên định lập trường tư tưởng, học tập đầy đủ nghị quyết của Đảng năm 2020.",
    "Sống giản dị, trung thực, giữ gìn đạo đức, lối sống của người đảng viên.",
    "Hoàn thành đúng hạn mọi văn bản được giao, không để tồn đọng hồ sơ.",
    "Sinh hoạt chi bộ đầy đủ, đóng đảng phí đúng hạn, nêu gương nơi cư trú.",
    "Giúp đỡ hai hộ khó khăn ở khu phố theo tấm gương đạo đức Hồ Chí Minh.",
    "Mỗi quý tự kiểm điểm một lần và báo cáo kết quả tại buổi sinh hoạt chi bộ.",
]


def open_my_pledge(page):
    page.goto("/pledges/")
    page.locator("main a.button.primary").click()
    page.wait_for_url(re.compile(r"/pledges/\d+/$"))
    return page.url


def boxes(page):
    return page.locator("form[action$='/save/'] textarea")


def test_it_keeps_a_draft_typed_just_before_the_page_is_closed(context):
    page = context.new_page()
    login(page, "dangvien")
    url = open_my_pledge(page)
    third = boxes(page).nth(2)
    third.fill("")
    third.type("Viết vội rồi đóng trang ngay", delay=5)
    page.close(run_before_unload=True)  # before the autosave's pause has passed
    again = context.new_page()
    for _attempt in range(20):  # the save sent on pagehide may land a moment after the reopen
        again.goto(url)
        if boxes(again).nth(2).input_value() == "Viết vội rồi đóng trang ngay":
            break
        again.wait_for_timeout(250)
    expect(boxes(again).nth(2)).to_have_value("Viết vội rồi đóng trang ngay")


def test_it_refuses_a_stale_save_from_a_second_tab_and_keeps_its_text(context):
    first = context.new_page()
    login(first, "dangvien")
    url = open_my_pledge(first)
    second = context.new_page()
    second.goto(url)
    boxes(first).nth(3).fill("Tab thứ nhất đã lưu")
    expect(first.locator("[data-autosave-status]")).to_contain_text("Đã lưu")
    # 24-hour, as the rest of the Vietnamese UI: "Đã lưu 23:22:47", never "11:22:47 PM".
    expect(first.locator("[data-autosave-status]")).to_have_text(re.compile(r"^Đã lưu \d{2}:\d{2}:\d{2}$"))
    boxes(second).nth(3).fill("Tab thứ hai không được ghi đè")
    alert = second.locator("form [role=alert]")
    expect(alert).to_contain_text("thẻ khác")
    expect(boxes(second).nth(3)).to_have_value("Tab thứ hai không được ghi đè")
    # Save draft without JS's help: both versions side by side, nothing lost.
    second.get_by_role("button", name="Lưu bản nháp").click()
    expect(second.locator(".stored-version pre").first).to_have_text("Tab thứ nhất đã lưu")
    expect(boxes(second).nth(3)).to_have_value("Tab thứ hai không được ghi đè")
    first.close()
    second.close()


HIDE_PAGE = """() => {
    Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
    document.dispatchEvent(new Event("visibilitychange"));
}"""

# The first autosave is held in the browser: before it reaches the server ("request"), or
# after the server answered ("response"), so the save sent as the page is hidden overtakes it.
HOLD_FIRST_SAVE = """(where) => {
    const realFetch = window.fetch;
    let calls = 0;
    window.fetch = (url, options) => {
        calls += 1;
        if (calls !== 1) return realFetch(url, options);
        const wait = (value) => new Promise((resolve) => setTimeout(() => resolve(value), 1500));
        return where === "request" ? wait().then(() => realFetch(url, options)) : realFetch(url, options).then(wait);
    };
}"""


@pytest.mark.parametrize("where", ["response", "request"])
def test_it_keeps_the_last_keystrokes_sent_as_the_page_is_hidden_during_a_save(context, where):
    page = context.new_page()
    login(page, "dangvien")
    url = open_my_pledge(page)
    page.evaluate(HOLD_FIRST_SAVE, where)
    box = boxes(page).nth(1)
    box.fill(f"Phần đầu ({where})")
    page.wait_for_timeout(1700)  # the autosave has gone and is held
    box.fill(f"Phần đầu ({where}) và mấy chữ cuối")
    page.evaluate(HIDE_PAGE)  # a phone switching apps
    page.wait_for_timeout(2500)
    expect(page.locator("form [role=alert]")).to_have_count(0)  # no false "changed in another tab"
    again = context.new_page()
    again.goto(url)
    expect(boxes(again).nth(1)).to_have_value(f"Phần đầu ({where}) và mấy chữ cuối")
    expect(again.locator(".pledge-restore")).to_have_count(0)
    page.close()
    again.close()


def test_it_offers_back_text_the_server_never_confirmed(context):
    page = context.new_page()
    login(page, "dangvien")
    url = open_my_pledge(page)
    page.route("**/save/", lambda route: route.abort())  # the network is gone
    boxes(page).nth(0).fill("Gõ lúc mất mạng")
    expect(page.locator("[data-autosave-status]")).to_have_class(re.compile("is-error"))
    # Opened again (the phone's browser dropped the tab, say): the server has the older text.
    again = context.new_page()
    again.goto(url)
    offer = again.locator(".pledge-restore")
    expect(offer).to_be_visible()
    offer.get_by_role("button", name="Đưa trở lại").click()
    expect(boxes(again).nth(0)).to_have_value("Gõ lúc mất mạng")
    expect(again.locator("[data-autosave-status]")).to_contain_text("Đã lưu")
    again.goto(url)
    expect(boxes(again).nth(0)).to_have_value("Gõ lúc mất mạng")
    expect(again.locator(".pledge-restore")).to_have_count(0)
    again.close()
    page.close()


def test_it_runs_the_whole_cycle_with_the_timeline(browser, live_server_url):
    def as_user(username):
        context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport={"width": 420, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        login(page, username)
        return page

    member = as_user("dangvien")
    url = open_my_pledge(member)
    for index, text in enumerate(SECTIONS):
        boxes(member).nth(index).fill(text)
    member.get_by_role("button", name="Nộp", exact=True).click()
    expect(member.locator(".pledge-status").first).to_have_text("Đã nộp")

    secretary = as_user("bithu")
    secretary.goto(url)
    secretary.fill("#id_comment", "Đề nghị ghi rõ hai hộ nào.")
    secretary.get_by_text("Nhận xét từng mục").click()
    secretary.locator("textarea[name^=note-]").nth(4).fill("Ghi tên hộ và việc giúp cụ thể.")
    secretary.get_by_role("button", name="Trả lại để chỉnh sửa").click()

    member.goto(url)
    expect(member.locator(".section-note")).to_contain_text("Ghi tên hộ và việc giúp cụ thể.")
    boxes(member).nth(4).fill("Giúp hộ ông Nguyễn Văn A và bà Lê Thị B sửa nhà, vận động con em đến trường.")
    member.get_by_role("button", name="Nộp lại").click()
    expect(member.locator(".pledge-status").first).to_have_text("Đã nộp")

    secretary.goto(url)
    secretary.get_by_role("button", name="Phê duyệt").click()

    member.goto(url)
    expect(member.locator(".pledge-status").first).to_have_text("Đã phê duyệt")
    expect(member.locator("form[action$='/save/']")).to_have_count(0)
    # Not only hidden: the server refuses an edit of the approved pledge sent by hand.
    token = next(c["value"] for c in member.context.cookies() if c["name"] == "csrftoken")
    version = member.locator("form[action$='/self-review/'] [data-version]").input_value()
    answer = (
        member.locator("form[action$='/self-review/'] textarea").first.get_attribute("name").replace("review", "answer")
    )
    edit = member.request.post(
        url + "save/", form={"version": version, answer: "Sửa sau khi duyệt"}, headers={"X-CSRFToken": token}
    )
    assert edit.status == 409
    member.goto(url)
    expect(member.get_by_text("Sửa sau khi duyệt")).to_have_count(0)
    reviews = member.locator("form[action$='/self-review/'] textarea")
    for index in range(6):
        reviews.nth(index).fill(f"Đã thực hiện mục {index + 1} đúng kế hoạch.")
    member.select_option("#id_proposed_rating", "good")
    member.get_by_role("button", name="Nộp bản tự kiểm điểm").click()
    expect(member.locator(".pledge-status").first).to_have_text("Đã tự kiểm điểm")

    secretary.goto(url)
    secretary.select_option("#id_rating", "excellent")
    secretary.fill("#id_rating_comment", "Gương mẫu, hoàn thành xuất sắc.")
    secretary.get_by_role("button", name="Ghi nhận xếp loại").click()

    member.goto(url)
    expect(member.locator(".pledge-status").first).to_have_text("Đã xếp loại")
    steps = member.locator(".pledge-timeline > li > strong").all_inner_texts()
    assert steps == [
        "Bắt đầu viết bản nháp", "Đã nộp", "Trả lại để chỉnh sửa", "Nộp lại", "Đã phê duyệt",
        "Đã nộp bản tự kiểm điểm cuối năm", "Đã xếp loại",
    ]  # fmt: skip
    # The server refuses a change to the closed pledge even from a hand-made request.
    token = next(c["value"] for c in member.context.cookies() if c["name"] == "csrftoken")
    response = member.request.post(
        url + "save/", form={"version": "1", "autosave": "1"}, headers={"X-CSRFToken": token}
    )
    assert response.status == 409 and "không thể sửa" in response.json()["error"]
