"""Issue 4, as a member would do it on a phone: read, fail once, pass, download the
certificate, and follow its QR code to a verification page that says valid. Then the
refusals a member of another cell meets."""

import io
import re
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.conftest import login

pytestmark = pytest.mark.browser


def correct_choices(e2e_server) -> set[int]:
    with sqlite3.connect(f"file:{e2e_server.env['SQLITE_PATH']}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT id FROM courses_choice WHERE is_correct")}


def answer(page, right: set[int], *, correctly: bool) -> None:
    for fieldset in page.locator("form[data-quiz] fieldset").all():
        inputs = fieldset.locator("input").all()
        if correctly:
            for item in inputs:
                if int(item.get_attribute("value")) in right:
                    item.check()
        else:
            wrong = next(item for item in inputs if int(item.get_attribute("value")) not in right)
            wrong.check()
    page.locator("[data-submit-once]").click()


def test_it_takes_dangvien_from_lessons_to_a_verified_certificate(page, context, browser, e2e_server, artifacts):
    import pypdfium2
    import zxingcpp
    from pypdf import PdfReader

    right = correct_choices(e2e_server)
    login(page, "dangvien")
    page.goto("/courses/")
    expect(page.locator(".course-state")).to_have_text("Chưa bắt đầu")
    page.locator(".course-card h2 a").click()
    page.locator(".lesson-list a").first.click()
    for _ in range(3):
        page.get_by_role("button", name="Đánh dấu đã đọc và học tiếp").click()
    page.get_by_role("button", name="Đánh dấu đã đọc", exact=True).click()
    expect(page.locator(".hint").filter(has_text="Đã đọc 4/4 bài học")).to_be_visible()

    page.get_by_role("button", name="Làm bài trắc nghiệm").click()
    answer(page, right, correctly=False)
    expect(page.locator(".quiz-result")).to_contain_text("Chưa đạt")
    page.get_by_role("link", name="Quay lại chuyên đề").first.click()
    page.get_by_role("button", name="Làm bài trắc nghiệm").click()
    answer(page, right, correctly=True)
    expect(page.locator(".quiz-result")).to_contain_text("Đạt")
    page.screenshot(path=str(artifacts / "courses-passed.png"), full_page=True)

    with page.expect_download() as download:
        page.locator(".quiz-result").get_by_role("link", name="Tải giấy chứng nhận").click()
    data = Path(download.value.path()).read_bytes()
    text = unicodedata.normalize("NFC", PdfReader(io.BytesIO(data)).pages[0].extract_text())
    assert "Nguyễn Văn Hùng" in text
    image = pypdfium2.PdfDocument(data)[0].render(scale=2).to_pil()
    urls = [r.text for r in zxingcpp.read_barcodes(image)]
    assert len(urls) == 1 and urls[0].startswith(e2e_server.url + "/certificates/verify/")
    printed_code = re.search(r"Mã xác minh:\s*(\S+)", text).group(1)
    # Printed in four groups (7K3M-Q9TD-X2HV-RB5W); the QR's address carries it bare.
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", printed_code)
    assert urls[0].endswith(f"/{printed_code.replace('-', '')}/")

    stranger = browser.new_context(locale="vi-VN")  # anyone, not logged in
    try:
        public = stranger.new_page()
        response = public.goto(urls[0])
        assert response.status == 200
        assert response.headers["x-robots-tag"].startswith("noindex")
        expect(public.locator(".certificate-status")).to_contain_text("Còn hiệu lực")
        expect(public.locator(".certificate-facts")).to_contain_text("Nguyễn Văn Hùng")
        public.screenshot(path=str(artifacts / "courses-verified.png"), full_page=True)
        assert public.goto(e2e_server.url + "/certificates/verify/khong-co-ma-nay/").status == 404
        # Typed by hand into the form, in small letters with spaces instead of dashes.
        public.goto(e2e_server.url + "/certificates/verify/")
        public.get_by_label("Mã xác minh").fill(printed_code.lower().replace("-", " "))
        public.get_by_role("button", name="Xác minh").click()
        expect(public.locator(".certificate-status")).to_contain_text("Còn hiệu lực")
        public.screenshot(path=str(artifacts / "courses-verify-form.png"), full_page=True)
    finally:
        stranger.close()


def test_it_refuses_dangvien2_the_modules_documents_and_others_work(page, context, e2e_server):
    with sqlite3.connect(f"file:{e2e_server.env['SQLITE_PATH']}?mode=ro", uri=True) as db:
        document = db.execute("SELECT id FROM courses_lessondocument").fetchone()[0]
        module = db.execute("SELECT id FROM courses_module").fetchone()[0]
        certificate = db.execute("SELECT id FROM courses_certificate").fetchone()[0]
        cell = db.execute("SELECT id FROM cells_orgunit WHERE name = 'Chi bộ Văn phòng Tỉnh ủy'").fetchone()[0]
        attempt = db.execute("SELECT id FROM courses_attempt").fetchone()[0]
    login(page, "dangvien2")
    for path in (
        f"/courses/documents/{document}/",
        f"/courses/{module}/",
        f"/courses/attempts/{attempt}/",
        f"/courses/certificates/{certificate}/pdf/",
        f"/courses/progress/cells/{cell}/",
    ):
        assert context.request.get(path).status == 404, path


def test_it_shows_a_revoked_certificate_as_revoked(page, browser, e2e_server):
    with sqlite3.connect(f"file:{e2e_server.env['SQLITE_PATH']}?mode=ro", uri=True) as db:
        pk, code = db.execute(
            "SELECT id, code FROM courses_certificate WHERE status = 'valid' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    login(page, "canbo")
    page.goto(f"/courses/certificates/{pk}/")
    page.fill("textarea[name=revoke-reason]", "Cấp nhầm, đã kiểm tra lại")
    page.check("input[name=revoke-confirm]")
    page.get_by_role("button", name="Thu hồi giấy chứng nhận").click()
    expect(page.locator(".certificate-status")).to_contain_text("Đã thu hồi")
    stranger = browser.new_context(locale="vi-VN")
    try:
        public = stranger.new_page()
        assert public.goto(f"{e2e_server.url}/certificates/verify/{code}/").status == 200
        expect(public.locator(".certificate-status")).to_contain_text("Đã thu hồi")
        expect(public.locator(".certificate-status")).to_contain_text("Cấp nhầm, đã kiểm tra lại")
    finally:
        stranger.close()


def _member_who_has_not_started(e2e_server) -> str:
    """A demo member in the module's audience with no progress at all (not dangvien: another test)."""
    with sqlite3.connect(f"file:{e2e_server.env['SQLITE_PATH']}?mode=ro", uri=True) as db:
        return db.execute(
            """
            SELECT u.username FROM accounts_user u
            JOIN cells_membership m ON m.user_id = u.id AND m.ended_on IS NULL
            JOIN cells_orgunit c ON c.id = m.cell_id
            JOIN courses_module mo ON c.path LIKE (SELECT path FROM cells_orgunit WHERE id = mo.audience_id) || '%'
            WHERE u.username NOT IN ('dangvien', 'dangvien2', 'bithu')
              AND NOT EXISTS (SELECT 1 FROM courses_moduleprogress p WHERE p.user_id = u.id)
            ORDER BY u.username LIMIT 1
            """
        ).fetchone()[0]


def test_it_keeps_quiz_answers_when_the_csrf_token_rotates(page, context, e2e_server):
    """Logging in again in another tab rotates the CSRF token: the open quiz still submits."""
    right = correct_choices(e2e_server)
    username = _member_who_has_not_started(e2e_server)
    login(page, username)
    page.goto("/courses/")
    page.locator(".course-card h2 a").first.click()
    page.get_by_role("button", name="Làm bài trắc nghiệm").click()
    expect(page.locator("form[data-quiz]")).to_be_visible()
    context.clear_cookies()
    other = context.new_page()
    login(other, username)  # new session, new CSRF cookie
    other.close()
    answer(page, right, correctly=True)
    expect(page.locator(".quiz-result")).to_contain_text("Đạt")
