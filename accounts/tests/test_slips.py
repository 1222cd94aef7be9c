"""The public page of an invitation slip (accounts.views.invite): a code sets a password once,
expires, is replaced by a newer slip, and wrong codes are limited per address and audited."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services, slipcodes
from accounts.models import InvitationSlip, InvitationSlipEvent, User
from accounts.services import slip_issue, user_create_invited
from conftest import error_summary, summary_links
from core.events import user_group

URL = "/accounts/invite/"
PASSWORD = "ngôi-sao-vàng-1930"


@pytest.fixture
def invited(db):
    return user_create_invited(username="bac_ba", full_name="Nguyễn Văn Ba", email="")


def _issue(user, actor=None) -> str:
    return slip_issue(actor=actor, users=[user])[0].code


def _post(client, code, password=PASSWORD, again=None, phone=""):
    data = {"code": code, "password1": password, "password2": again or password, "phone": phone}
    return client.post(URL, data, REMOTE_ADDR="203.0.113.7")


def test_the_url_is_where_the_slips_point():
    assert reverse("accounts:invite") == URL


def test_a_typed_code_sets_the_password_and_the_phone_and_logs_in(client, invited):
    code = _issue(invited)
    typed = slipcodes.display(code).lower().replace("-", " ")  # small letters, spaces
    response = _post(client, typed, phone="+84 912.345.678")
    assert response.status_code == 302 and response.url == reverse("home")
    invited.refresh_from_db()
    assert invited.check_password(PASSWORD)
    assert invited.phone == "0912345678"
    assert client.get(reverse("home")).wsgi_request.user == invited
    slip = InvitationSlip.objects.get(user=invited)
    assert slip.used_at is not None
    assert slipcodes.code_hash(code) == slip.code_hash and code not in slip.code_hash
    used = InvitationSlipEvent.objects.get(action="used")
    assert (used.user, used.slip, used.ip) == (invited, slip, "203.0.113.7")


def test_look_alike_letters_still_find_the_code(client, invited):
    code = "0123456789AB"
    InvitationSlip.objects.create(
        user=invited, code_hash=slipcodes.code_hash(code), expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    assert _post(client, "o123-4567-89ab").status_code == 302  # O read as 0


def test_the_link_in_the_qr_code_fills_the_code_and_names_the_member(client, invited):
    code = _issue(invited)
    response = client.get(URL, {"code": slipcodes.display(code)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nguyễn Văn Ba" in page and "bac_ba" in page
    assert f'value="{slipcodes.display(code)}"' in page


def test_a_used_code_is_refused_with_a_clear_message(client, invited):
    code = _issue(invited)
    assert _post(client, code).status_code == 302
    other = Client()
    response = other.post(URL, {"code": code, "password1": "x-" + PASSWORD, "password2": "x-" + PASSWORD})
    assert response.status_code == 400
    assert "Mã này đã được dùng" in response.content.decode()
    invited.refresh_from_db()
    assert invited.check_password(PASSWORD)
    assert InvitationSlipEvent.objects.filter(action="spent").count() == 1


def test_an_expired_code_is_refused(client, invited):
    code = _issue(invited)
    InvitationSlip.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = _post(client, code)
    assert response.status_code == 400
    assert "Mã này đã hết hạn" in response.content.decode()
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    assert InvitationSlipEvent.objects.filter(action="expired").count() == 1


def test_a_new_slip_replaces_the_earlier_one(client, invited):
    first = _issue(invited)
    second = _issue(invited)
    response = _post(client, first)
    assert response.status_code == 400
    assert "phiếu mới hơn" in response.content.decode()
    assert list(InvitationSlipEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "issued",
        "revoked",
        "issued",
        "replaced",
    ]
    assert _post(client, second).status_code == 302


def test_a_wrong_code_keeps_what_was_typed_but_the_passwords(client, invited):
    _issue(invited)
    response = _post(client, "AAAA-BBBB-CCCC", phone="0912 345 678")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Mã này không đúng" in page
    assert 'value="AAAA-BBBB-CCCC"' in page and 'value="0912 345 678"' in page
    assert PASSWORD not in page
    event = InvitationSlipEvent.objects.exclude(action="issued").get()
    assert (event.action, event.slip, event.user, event.ip) == ("wrong", None, None, "203.0.113.7")


@pytest.mark.parametrize("code", ["", "\x00" * 5, "ü" * 12, "A" * 500, "7K3M-Q9TD"])
def test_garbage_never_fails(client, invited, code):
    response = client.post(URL, {"code": code, "password1": "a", "password2": "a"})
    assert response.status_code == 400


def test_a_list_for_the_code_does_not_fail(client, invited):
    response = client.get(URL + "?code=A&code=B")
    assert response.status_code == 400


def test_a_weak_password_is_refused_and_the_slip_stays_open(client, invited):
    code = _issue(invited)
    response = _post(client, code, password="12345678", phone="0912345678")
    assert response.status_code == 400
    page = response.content.decode()
    assert "quá phổ biến" in page or "toàn bộ là số" in page
    assert f'value="{code}"' in page and 'value="0912345678"' in page
    assert InvitationSlip.objects.get().used_at is None
    response = _post(client, code, password="12")  # in Vietnamese (Django's catalogue lacks it)
    assert "Mật khẩu này quá ngắn. Mật khẩu phải có ít nhất 8 ký tự." in response.content.decode()
    response = _post(client, code, again=PASSWORD + "x")
    assert response.status_code == 400 and "không giống nhau" in response.content.decode()


def test_a_bad_phone_number_is_refused(client, invited):
    code = _issue(invited)
    response = _post(client, code, phone="12345")
    assert response.status_code == 400
    assert "số điện thoại" in response.content.decode()
    assert InvitationSlip.objects.get().used_at is None


def test_too_many_wrong_codes_slow_the_sender_down(client, invited, settings):
    settings.SLIP_FAILURE_LIMIT = 3
    code = _issue(invited)
    for _ in range(3):
        assert _post(client, "AAAA-BBBB-CCCC").status_code == 400
    response = _post(client, code)  # even the right code waits now
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.SLIP_FAILURE_WINDOW  # the rest of the window
    assert "gõ sai quá nhiều lần" in response.content.decode()
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    assert InvitationSlipEvent.objects.filter(action="wrong").count() == 3
    # Another address is not held back.
    other = Client().post(URL, {"code": code, "password1": PASSWORD, "password2": PASSWORD}, REMOTE_ADDR="198.51.100.2")
    assert other.status_code == 302


def test_a_forgotten_password_is_replaced_and_other_sessions_end(
    client, invited, monkeypatch, django_capture_on_commit_callbacks
):
    invited.set_password("old-" + PASSWORD)
    invited.save()
    elsewhere = Client()
    elsewhere.force_login(invited)
    assert elsewhere.get(reverse("home")).wsgi_request.user == invited
    sent = []
    monkeypatch.setattr("core.events.send_now", lambda group, event: sent.append((group, event["type"])))
    code = _issue(invited)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, code).status_code == 302
    assert (user_group(invited.pk), "access.changed") in sent  # its sockets re-check and close
    assert not elsewhere.get(reverse("home")).wsgi_request.user.is_authenticated
    assert client.get(reverse("home")).wsgi_request.user == invited
    invited.refresh_from_db()
    assert invited.check_password(PASSWORD)


def test_using_a_slip_ends_the_emailed_invitation_link(client, db):
    from accounts.services import invitation_url

    user = user_create_invited(username="co_tu", full_name="Lê Thị Tư", email="tu@example.org")
    link = invitation_url(user).split("://", 1)[1].split("/", 1)[1]
    code = _issue(user)
    assert _post(client, code).status_code == 302
    response = Client().get("/" + link, follow=True)
    assert "Liên kết không còn hiệu lực" in response.content.decode()


def test_a_disabled_account_cannot_use_its_slip_and_is_told_why(client, invited):
    code = _issue(invited)
    User.objects.filter(pk=invited.pk).update(is_active=False)
    response = _post(client, code)
    assert response.status_code == 400
    assert "Tài khoản này đã bị khóa nên không dùng được phiếu này nữa" in response.content.decode()
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    tried = InvitationSlipEvent.objects.exclude(action="issued").get()
    assert (tried.action, tried.user, tried.ip) == ("closed", invited, "203.0.113.7")


def test_a_slip_closed_a_moment_before_it_is_used_is_refused(client, invited):
    # Found open, then the account is disabled before the password is saved (slip_redeem
    # checks again under the lock).
    code = _issue(invited)
    slip = services.slip_find(raw_code=code, ip=None)
    User.objects.filter(pk=invited.pk).update(is_active=False)
    with pytest.raises(services.SlipRefused) as refused:
        services.slip_redeem(slip=slip, password=PASSWORD, phone="", ip=None)
    assert refused.value.action == "closed"
    invited.refresh_from_db()
    assert not invited.has_usable_password()


def test_withdrawing_closes_only_the_open_slips_with_an_audit_row_each(invited):
    actor = user_create_invited(username="bi_thu", full_name="Lê Thị Bích", email="")
    used = _issue(invited)
    services.slip_redeem(slip=services.slip_find(raw_code=used, ip=None), password=PASSWORD, phone="", ip=None)
    code = _issue(invited)
    expired = InvitationSlip.objects.create(
        user=invited, code_hash=slipcodes.code_hash("0" * 12), expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    assert services.slips_withdraw(actor=actor, user=invited, reason="Từ trần") == 1
    open_slip = InvitationSlip.objects.get(code_hash=slipcodes.code_hash(code))
    assert open_slip.revoked_at is not None and open_slip.revoked_why == "left"
    expired.refresh_from_db()
    assert expired.revoked_at is None
    event = InvitationSlipEvent.objects.get(action="withdrawn")
    assert (event.slip, event.user, event.actor, event.detail) == (open_slip, invited, actor, "Từ trần")
    assert services.slips_withdraw(actor=actor, user=invited, reason="again") == 0
    assert InvitationSlipEvent.objects.filter(action="withdrawn").count() == 1


def test_issuing_costs_the_same_queries_for_more_slips(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(n: int) -> int:
        users = [user_create_invited(username=f"u{n}_{i}", full_name=f"Người {i}", email="") for i in range(n)]
        slip_issue(actor=None, users=users)  # the second round also revokes the first
        with CaptureQueriesContext(connection) as ctx:
            issued = slip_issue(actor=None, users=users)
        assert len({item.code for item in issued}) == n
        assert all(item.slip.pk for item in issued)
        return len(ctx)

    assert cost(2) == cost(9)
    assert InvitationSlipEvent.objects.filter(action="revoked").count() == 11


def test_two_prints_with_the_same_key_at_once_make_one_batch(invited, monkeypatch):
    from accounts import services

    secretary = user_create_invited(username="bi_thu", full_name="Lê Thị Bí Thư", email="")
    issued = slip_issue(actor=secretary, users=[invited], key="k" * 40)
    # The second arrives before the first committed: the existence check misses it and the
    # unique constraint answers.
    real_filter = InvitationSlip.objects.filter
    calls = []

    def blind_filter(*args, **kwargs):
        if "issue_key" in kwargs and not calls:
            calls.append(1)
            return real_filter(pk=None)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(InvitationSlip.objects, "filter", blind_filter)
    with pytest.raises(services.SlipsAlreadyIssued):
        slip_issue(actor=secretary, users=[invited], key="k" * 40)
    assert calls == [1]
    monkeypatch.undo()
    slip = InvitationSlip.objects.get(user=invited)
    assert slip.pk == issued[0].slip.pk and slip.revoked_at is None


def test_a_refused_form_is_summed_up_at_the_top_with_links_to_the_boxes(client, invited):
    # Issue 13: the error summary every refused form shows (core.templatetags.error_summary).
    _issue(invited)
    response = _post(client, "AAAA-BBBB-CCCC", again="khác-" + PASSWORD, phone="12")
    assert response.status_code == 400
    page = response.content.decode()
    assert summary_links(page) == ["id_code", "id_password2", "id_phone"]
    assert "Mã này không đúng" in error_summary(page) and "Chưa gửi được" in error_summary(page)
    assert 'value="AAAA-BBBB-CCCC"' in page and 'value="12"' in page  # what was typed is kept


def test_a_page_that_was_not_refused_has_no_summary(client, invited):
    assert 'id="error-summary"' not in client.get(URL, {"code": slipcodes.display(_issue(invited))}).content.decode()
