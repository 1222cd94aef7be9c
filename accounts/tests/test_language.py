import pytest

from conftest import make_user


@pytest.mark.django_db
def test_it_speaks_vietnamese_whatever_the_browser_asks_for(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="vi">' in response.content.decode()
    assert "Đăng nhập" in response.content.decode()
    assert response["Content-Language"] == "vi"


@pytest.mark.django_db
def test_it_follows_the_switcher_then_the_saved_language(client):
    user = make_user("en_user", "English Reader", language="en")
    client.force_login(user)
    assert '<html lang="en">' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert '<html lang="vi">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_it_asks_for_the_password_before_changing_the_email(client):
    user = make_user("mail_owner", "Chủ Hộp Thư")
    client.force_login(user)
    data = {"full_name": "Chủ Hộp Thư", "email": "new@example.org", "phone": "", "language": "vi"}
    refused = client.post("/accounts/profile/", data)
    assert refused.status_code == 200
    assert "Nhập mật khẩu hiện tại" in refused.content.decode()
    user.refresh_from_db()
    assert user.email == "mail_owner@example.org"
    accepted = client.post("/accounts/profile/", {**data, "current_password": "pw-mail_owner"})
    assert accepted.status_code == 302
    user.refresh_from_db()
    assert user.email == "new@example.org"
    # Other fields change without the password.
    client.post("/accounts/profile/", {**data, "phone": "0912 000 111"})
    user.refresh_from_db()
    assert user.phone == "0912 000 111"
