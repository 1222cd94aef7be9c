"""Issue 13, members without e-mail, in Chromium at 360 px: bithu adds a member with no
address, prints the invitation slip, and the member (another phone, not logged in) types the
code in small letters with spaces, sets a password and a phone number and is in. A plain
member is refused the slips page. The added member's membership is ended at the end, so the
cell's counts are as the other browser tests expect."""

import io
import re
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.conftest import login

pytestmark = pytest.mark.browser
NAME = "Hà Thị Phiếu Mời"


def test_a_member_without_email_gets_in_with_a_printed_slip(browser, live_server_url, artifacts):
    import pypdfium2
    import zxingcpp
    from pypdf import PdfReader

    phone = {"base_url": live_server_url, "locale": "vi-VN", "viewport": {"width": 360, "height": 760}}
    secretary_context = browser.new_context(**phone, accept_downloads=True)
    member_context = browser.new_context(**phone)
    page = secretary_context.new_page()
    login(page, "bithu")
    try:
        page.goto("/cells/")
        page.get_by_role("link", name="Thêm đảng viên").click()
        page.fill("#id_full_name", NAME)
        page.locator("form button[type=submit].primary").click()
        expect(page.get_by_role("heading", name="In phiếu mời")).to_be_visible()
        # Only the new member is ticked.
        checked = page.locator("input[name=member]:checked")
        expect(checked).to_have_count(1)
        expect(page.locator(".slip-choice", has=checked)).to_contain_text(NAME)
        page.screenshot(path=str(artifacts / "slips-choose-360.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("button", name="In phiếu (PDF)").click()
        data = Path(download.value.path()).read_bytes()
        text = unicodedata.normalize("NFC", PdfReader(io.BytesIO(data)).pages[0].extract_text())
        assert NAME in text
        code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text).group(0)
        urls = [r.text for r in zxingcpp.read_barcodes(pypdfium2.PdfDocument(data)[0].render(scale=3).to_pil())]
        assert urls == [f"{live_server_url}/accounts/invite/?code={code}"]

        member = member_context.new_page()
        member.goto("/accounts/invite/")
        member.fill("#id_code", "zzzz zzzz zzzz")
        member.fill("#id_password1", "la-co-do-1945")
        member.fill("#id_password2", "la-co-do-1945")
        member.fill("#id_phone", "+84 912 345 678")
        member.get_by_role("button", name="Lưu mật khẩu và đăng nhập").click()
        expect(member.locator(".errorlist")).to_contain_text("Mã này không đúng")
        expect(member.locator("#id_phone")).to_have_value("+84 912 345 678")
        member.fill("#id_code", code.lower().replace("-", " "))
        member.fill("#id_password1", "la-co-do-1945")
        member.fill("#id_password2", "la-co-do-1945")
        member.get_by_role("button", name="Lưu mật khẩu và đăng nhập").click()
        member.wait_for_url(f"{live_server_url}/")
        expect(member.locator(".account-nav")).to_contain_text(NAME)
        member.screenshot(path=str(artifacts / "slips-used-360.png"))

        # The same code a second time: a clear message.
        member.goto(f"/accounts/invite/?code={code}")
        expect(member.locator(".errorlist")).to_contain_text("Mã này đã được dùng")
    finally:
        # Leave the cell as the other tests know it.
        page.goto("/cells/")
        page.get_by_role("link", name=NAME).click()
        page.fill("#id_reason", "Thử nghiệm")
        page.get_by_role("button", name="Kết thúc sinh hoạt").click()
        secretary_context.close()
        member_context.close()


def test_a_plain_member_cannot_print_slips(page):
    login(page, "dangvien")
    page.goto("/cells/")
    cell_url = page.url
    expect(page.get_by_role("link", name="In phiếu mời")).to_have_count(0)
    response = page.goto(cell_url + "members/slips/")
    assert response.status == 403
