"""Links that set a password live a documented time (accounts/tokens.py): a password reset
an hour (PASSWORD_RESET_TIMEOUT), an invitation three days (INVITATION_TIMEOUT); an expired
one is refused with a clear Vietnamese page. Neither kind passes for the other."""

import datetime
import re

import pytest
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse

from accounts import services
from accounts.tokens import TokenGenerator

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 8, 0)


@pytest.fixture
def clock(monkeypatch):
    """clock(delta): every token is checked `delta` after NOW (tokens are made at NOW)."""
    state = {"now": NOW}
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: state["now"])

    def move(delta: datetime.timedelta) -> None:
        state["now"] = NOW + delta

    return move


@pytest.fixture
def invited(db):
    return services.user_create_invited(username="moi", full_name="Người Được Mời", email="moi@example.org")


def _open(client, path: str):
    """Open a link as the e-mail gives it; allauth moves a good key into the session."""
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="vi")
    if response.status_code == 302:
        response = client.get(response["Location"])
    return response.content.decode()


def _reset_path(user) -> str:
    key = TokenGenerator().make_token(user)
    return reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})


def _invitation_path(user) -> str:
    return services.invitation_url(user).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


EXPIRED = "Liên kết không còn hiệu lực"
FORM = 'name="password1"'


@pytest.mark.parametrize(
    "delta, works",
    [(datetime.timedelta(days=2, hours=23), True), (datetime.timedelta(days=3, minutes=1), False)],
)
def test_an_invitation_link_lives_three_days(client, clock, invited, delta, works):
    path = _invitation_path(invited)
    clock(delta)
    page = _open(client, path)
    assert (FORM in page) is works
    if not works:
        assert EXPIRED in page and "bí thư chi bộ gửi lại thư mời" in page


@pytest.mark.parametrize(
    "delta, works", [(datetime.timedelta(minutes=59), True), (datetime.timedelta(minutes=61), False)]
)
def test_a_password_reset_link_lives_an_hour(client, clock, personas, delta, works):
    path = _reset_path(personas["member_a"])
    clock(delta)
    page = _open(client, path)
    assert (FORM in page) is works
    if not works:
        assert EXPIRED in page


def test_neither_kind_of_token_passes_for_the_other(invited):
    tokens = TokenGenerator()
    invitation = tokens.make_invitation_token(invited)
    assert tokens.check_token(invited, invitation)
    assert not tokens.check_token(invited, invitation.removeprefix("inv_"))  # not as a reset token
    assert not tokens.check_token(invited, "inv_" + tokens.make_token(invited))  # nor the reverse


def test_the_emails_say_how_long_their_links_live(
    client, invited, personas, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_send(user=invited, cell_name="Chi bộ A", invited_by=None)
    assert "hết hạn sau 3 ngày" in mailoutbox[-1].body
    client.post(reverse("account_reset_password"), {"email": "member_a@example.org"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert re.search(r"hết hạn sau 1 giờ", mailoutbox[-1].body)
