"""Accounts over HTTP: allauth log-in by username or e-mail, closed sign-up, passwords,
rate limits, the account page, and the language switch."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.models import User
from conftest import error_summary, make_user, summary_links

PASSWORD = "pw-member_a"  # make_user's convention


def _login(client, login: str, password: str):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_it_logs_in_with_the_username(client, personas):
    response = _login(client, "member_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"] == personas["member_a"]


def test_it_logs_in_with_the_email_whatever_its_case(client, personas):
    response = _login(client, "Member_A@Example.org", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == personas["member_a"]


def test_it_refuses_a_wrong_password(client, personas):
    response = _login(client, "member_a", "wrong")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not response.context["user"].is_authenticated


def test_it_refuses_login_after_repeated_failures_with_allauths_message(client, personas, settings):
    _english(client, settings)
    for _ in range(5):
        assert _login(client, "member_a", "wrong").status_code == 200
    response = _login(client, "member_a", PASSWORD)  # even the right password, for now
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_it_logs_out_on_post(client, personas):
    client.force_login(personas["member_a"])
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert client.get(reverse("home")).status_code == 302


def test_it_keeps_registration_closed(client, db, settings):
    _english(client, settings)
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert "Registration is closed" in page.content.decode()
    response = client.post(
        reverse("account_signup"),
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "password1": "Dai-mat-khau-9",
            "password2": "Dai-mat-khau-9",
        },
    )
    assert "Registration is closed" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_it_changes_the_password(client, personas):
    client.force_login(personas["member_a"])
    url = reverse("account_change_password")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"oldpassword": PASSWORD, "password1": "Mot-mat-khau-moi-1", "password2": "Mot-mat-khau-moi-1"}
    )
    assert response.status_code == 302
    personas["member_a"].refresh_from_db()
    assert personas["member_a"].check_password("Mot-mat-khau-moi-1")
    bad = client.post(url, {"oldpassword": "wrong", "password1": "Khac-nua-2-x", "password2": "Khac-nua-2-x"})
    assert bad.status_code == 200
    personas["member_a"].refresh_from_db()
    assert personas["member_a"].check_password("Mot-mat-khau-moi-1")


def test_it_sends_anonymous_visitors_away_from_password_change_and_profile(client, db):
    for url in (reverse("account_change_password"), reverse("accounts:profile")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_it_resets_a_forgotten_password_by_email(client, personas, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "MEMBER_A@example.org"})
    assert response.status_code == 302
    (mail,) = mailoutbox
    assert mail.to == ["member_a@example.org"]
    path = urlsplit(re.search(r"https?://\S+", mail.body).group(0)).path
    form = client.get(path, follow=True)
    assert not form.context.get("token_fail")
    done = client.post(
        form.redirect_chain[-1][0], {"password1": "Quen-roi-nho-lai-7", "password2": "Quen-roi-nho-lai-7"}
    )
    assert done.status_code == 302
    personas["member_a"].refresh_from_db()
    assert personas["member_a"].check_password("Quen-roi-nho-lai-7")
    client.logout()
    assert client.get(path, follow=True).context["token_fail"]


def test_it_sends_no_reset_email_for_an_unknown_address(client, db, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302  # the same answer as for a known address: no enumeration
    # allauth's "unknown account" mail would invite the reader to sign up, which is closed.
    assert mailoutbox == []


# --- The account page -----------------------------------------------------------------------


def test_it_saves_the_profile_and_honours_large_text(client, personas):
    user = personas["member_a"]
    client.force_login(user)
    page = client.get(reverse("accounts:profile"))
    assert page.status_code == 200
    assert 'class="large-text"' not in page.content.decode()
    response = client.post(
        reverse("accounts:profile"),
        {
            "full_name": "Nguyễn Văn Ấn Mới",
            "email": "an.moi@example.org",
            "current_password": "pw-member_a",
            "phone": "0912 000 111",
            "language": "en",
            "large_text": "on",
            "email_notifications": "",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    # The name is the record's: a crafted full_name is ignored (see test_names.py).
    assert (user.full_name, user.email, user.phone, user.language, user.large_text, user.email_notifications) == (
        "Nguyễn Văn Ấn",
        "an.moi@example.org",
        "0912 000 111",
        "en",
        True,
        False,
    )
    home = client.get(reverse("home")).content.decode()
    assert '<body class="large-text"' in home
    assert '<html lang="en">' in home
    assert "Nguyễn Văn Ấn" in home and "Nguyễn Văn Ấn Mới" not in home


def test_it_refuses_an_email_that_belongs_to_someone_else(client, personas):
    client.force_login(personas["member_a"])
    response = client.post(
        reverse("accounts:profile"), {"full_name": "X", "email": "MEMBER_B@example.org", "language": "vi"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    personas["member_a"].refresh_from_db()
    assert personas["member_a"].email == "member_a@example.org"
    # The header still shows the saved name, not the refused one.
    assert "Nguyễn Văn Ấn" in response.content.decode()


def test_it_forgets_an_old_email_address_for_login_and_reset(client, personas, mailoutbox):
    # A password reset makes allauth keep a row for the address; changing it must drop that row.
    client.post(reverse("account_reset_password"), {"email": "member_a@example.org"})
    path = urlsplit(re.search(r"https?://\S+", mailoutbox[0].body).group(0)).path
    form = client.get(path, follow=True)
    client.post(form.redirect_chain[-1][0], {"password1": "Quen-roi-nho-lai-7", "password2": "Quen-roi-nho-lai-7"})
    personas["member_a"].refresh_from_db()  # the new password hash, or the session is dropped
    client.force_login(personas["member_a"])
    saved = client.post(
        reverse("accounts:profile"),
        {"full_name": "Ấn", "email": "moi@example.org", "language": "vi", "current_password": "Quen-roi-nho-lai-7"},
    )
    assert saved["Location"] == reverse("accounts:profile")
    client.logout()
    mailoutbox.clear()
    client.post(reverse("account_reset_password"), {"email": "member_a@example.org"})
    assert mailoutbox == []
    assert _login(client, "member_a@example.org", "Quen-roi-nho-lai-7").status_code == 200
    assert _login(client, "moi@example.org", "Quen-roi-nho-lai-7").status_code == 302


# --- Language -------------------------------------------------------------------------------


def test_it_speaks_vietnamese_by_default(client, db):
    page = client.get(reverse("account_login"))
    html = page.content.decode()
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html


def test_it_switches_to_english_and_back(client, personas):
    client.force_login(personas["member_a"])
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    assert "Log out" in html
    client.post(reverse("set_language"), {"language": "vi", "next": reverse("home")})
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="vi">' in html
    assert "Log out" not in html


def test_it_uses_the_saved_language_of_a_logged_in_user(client, db):
    user = make_user("english", language="en")
    client.force_login(user)
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("url_name", ["account_login", "account_reset_password", "account_signup"])
def test_it_serves_the_public_account_pages(client, db, url_name):
    assert client.get(reverse(url_name)).status_code == 200


def test_a_refused_log_in_is_summed_up_at_the_top_keeping_the_login(client, personas):
    page = _login(client, "member_a", "wrong").content.decode()
    error_summary(page)  # allauth's message is the form's, not a box's: listed without a link
    assert 'value="member_a"' in page


def test_a_refused_password_change_links_to_the_boxes(client, personas):
    client.force_login(personas["member_a"])
    response = client.post(
        reverse("account_change_password"), {"oldpassword": "wrong", "password1": "Khac-nua-2-x", "password2": "khac"}
    )
    assert summary_links(response.content.decode()) == ["id_oldpassword", "id_password2"]


def test_a_refused_profile_links_to_the_email_box_keeping_it(client, personas):
    client.force_login(personas["member_a"])
    response = client.post(
        reverse("accounts:profile"), {"email": "khong-phai-email", "phone": "0912", "language": "vi"}
    )
    page = response.content.decode()
    assert "id_email" in summary_links(page)
    assert 'value="khong-phai-email"' in page
