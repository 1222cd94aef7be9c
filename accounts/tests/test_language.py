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
