"""Issue 13: allauth's account pages speak Vietnamese, call the member "đồng chí", sit in the
site's layout, and the profile links to them."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

# (URL name, logged in?, strings the page must show)
PAGES = [
    ("account_login", False, ["Đăng nhập", "Quên mật khẩu?", "xin đồng chí đề nghị"]),
    ("account_logout", True, ["Đồng chí có muốn đăng xuất?"]),
    ("account_change_password", True, ["Đổi mật khẩu", "Mật khẩu hiện tại", "Mật khẩu của đồng chí phải có ít nhất"]),
    ("account_email", True, ["Địa chỉ email", "member_a@example.org", "Đặt làm địa chỉ chính", "Thêm địa chỉ email"]),
    ("account_reauthenticate", True, ["Xác nhận danh tính", "xin đồng chí nhập lại mật khẩu", "Xác nhận"]),
    ("account_reset_password", True, ["Đặt lại mật khẩu", "để đồng chí chọn", "Gửi liên kết"]),
    ("account_reset_password", False, ["Đặt lại mật khẩu", "để đồng chí chọn", "Gửi liên kết"]),
    ("account_reset_password_done", False, ["Xin kiểm tra email"]),
    ("account_reset_password_from_key_done", False, ["Mật khẩu của đồng chí đã được lưu."]),
    ("account_inactive", False, ["Tài khoản bị khóa"]),
    ("account_signup", False, ["Không mở đăng ký", "đồng chí sẽ nhận được email"]),
]
# English that allauth's and Django's own wording would leave in the page.
ENGLISH = re.compile(
    r"\b(Email Addresses|Make Primary|Re-send|Remove|Add Email|Confirm Access|Password|Confirm|Verified|"
    r"Unverified|Primary|your|you)\b"
)


class _Main(HTMLParser):
    """The visible text of <main> (and its placeholders and labels)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = self.hidden = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "main":
            self.depth += 1
        elif tag in ("script", "style"):
            self.hidden += 1
        elif self.depth:
            self.text += [v for k, v in attrs if k in ("placeholder", "aria-label", "title") and v]

    def handle_endtag(self, tag) -> None:
        if tag == "main":
            self.depth -= 1
        elif tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data) -> None:
        if self.depth and not self.hidden and data.strip():
            self.text.append(data.strip())


def _main_text(html: str) -> str:
    parser = _Main()
    parser.feed(html)
    return " | ".join(parser.text)


@pytest.mark.parametrize(("name", "logged_in", "expected"), PAGES, ids=lambda v: v if isinstance(v, str) else "")
def test_each_account_page_speaks_vietnamese_in_the_sites_layout(client, personas, name, logged_in, expected):
    if logged_in:
        client.force_login(personas["member_a"])
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    # The site's own layout (templates/base.html), not allauth's bare one.
    assert '<html lang="vi">' in html and 'class="site-header"' in html and 'class="site-footer' in html
    text = _main_text(html)
    for string in expected:
        assert string in text, (string, text)
    assert not ENGLISH.search(text), text
    assert "bạn" not in text.lower(), text


def test_the_email_page_lists_the_address_and_changes_it_in_vietnamese(client, personas):
    client.force_login(personas["member_a"])
    added = client.post(reverse("account_email"), {"action_add": "", "email": "an.moi@example.org"}, follow=True)
    assert added.status_code == 200
    assert "an.moi@example.org" in _main_text(added.content.decode())
    made = client.post(reverse("account_email"), {"action_primary": "", "email": "an.moi@example.org"}, follow=True)
    assert "Đã đặt địa chỉ email chính." in made.content.decode()
    personas["member_a"].refresh_from_db()
    assert personas["member_a"].email == "an.moi@example.org"
    refused = client.post(reverse("account_email"), {"action_remove": "", "email": "an.moi@example.org"}, follow=True)
    assert "Không thể gỡ địa chỉ email chính (an.moi@example.org)." in refused.content.decode()
    removed = client.post(reverse("account_email"), {"action_remove": "", "email": "member_a@example.org"}, follow=True)
    assert "Đã gỡ địa chỉ email member_a@example.org." in removed.content.decode()


def test_the_profile_links_to_password_change_and_email_addresses(client, personas):
    client.force_login(personas["member_a"])
    html = client.get(reverse("accounts:profile")).content.decode()
    assert f'<a href="{reverse("account_change_password")}">Đổi mật khẩu</a>' in html
    assert f'<a href="{reverse("account_email")}">Quản lý địa chỉ email</a>' in html
    assert "bạn" not in _main_text(html)
