"""Printing invitation slips (cells.views.member_slips): who may, for whom, and what the PDF
says (its text, and its QR codes decoded)."""

import datetime
import io
import re

import pypdfium2
import pytest
import zxingcpp
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from accounts import slipcodes
from accounts.models import InvitationSlip, User
from accounts.services import user_create_invited
from cells.models import CommitteeRole, Membership
from conftest import make_member, summary_links

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def _url(cell) -> str:
    return reverse("cells:member_slips", args=[cell.pk])


def _invite(username, full_name, cell) -> User:
    user = user_create_invited(username=username, full_name=full_name, email="")
    Membership.objects.create(user=user, cell=cell, started_on=datetime.date(2024, 1, 1))
    return user


def _ids(*users) -> list[str]:
    return [str(Membership.objects.get(user=u, ended_on__isnull=True).pk) for u in users]


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _qr_urls(data: bytes) -> list[str]:
    urls = []
    for page in pypdfium2.PdfDocument(data):
        image = page.render(scale=3).to_pil()
        urls += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return urls


@pytest.fixture
def secretary_b(org):
    return make_member("secretary_b", org["cell_b"], role="secretary", full_name="Phạm Văn Bình")


@pytest.mark.parametrize(
    "persona, status",
    [("member_a", 403), ("member_b", 404), ("secretary_b", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_others_are_refused_printing_slips(client_as, org, personas, secretary_b, persona, status):
    target = _invite("moi", "Đỗ Văn Mới", org["cell_a"])
    user = secretary_b if persona == "secretary_b" else personas[persona]
    client = client_as(user)
    assert client.get(_url(org["cell_a"])).status_code == status
    response = client.post(_url(org["cell_a"]), {"member": _ids(target)})
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("account_login"))
    assert not InvitationSlip.objects.exists()


def test_a_committee_is_not_a_cell(client_as, org, personas):
    assert client_as(personas["officer"]).get(_url(org["committee"])).status_code == 404


def test_the_secretary_prints_slips_that_work(client_as, org, personas):
    ba = _invite("bac_ba", "Nguyễn Văn Ba", org["cell_a"])
    tu = _invite("co_tu", "Hoàng Thị Tư", org["cell_a"])
    client_as(personas["member_a"])  # has logged in: not chosen by default
    client = client_as(personas["secretary_a"])
    page = client.get(_url(org["cell_a"])).content.decode()
    # By default: those who never logged in / have no password; not the secretary herself.
    for user in (ba, tu, personas["member_a"]):
        checked = re.search(rf'value="{_ids(user)[0]}"( checked)?>', page)
        assert checked and bool(checked.group(1)) == (user != personas["member_a"])
    assert "Lê Thị Bích" not in page.split("<form", 2)[-1]

    response = client.post(_url(org["cell_a"]), {"member": _ids(ba, tu)})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "phieu-moi-Chi-bo-A" in response["Content-Disposition"]
    data = response.content
    page0 = PdfReader(io.BytesIO(data)).pages[0]
    assert (round(float(page0.mediabox.width)), round(float(page0.mediabox.height))) == (595, 842)
    text = _text(data)
    assert "Nguyễn Văn Ba" in text and "Hoàng Thị Tư" in text
    assert "Tên đăng nhập: bac_ba" in text and "Chi bộ A" in text
    assert settings.SITE_URL.split("://")[1] + "/accounts/invite/" in text
    assert "Quét mã QR" in text and "Đặt mật khẩu" in text
    codes = CODE.findall(text)
    assert len(codes) == 2
    urls = _qr_urls(data)
    assert sorted(urls) == sorted(f"{settings.SITE_URL}/accounts/invite/?code={c}" for c in codes)
    # Only hashes are stored, and each printed code opens its member's page.
    assert set(InvitationSlip.objects.values_list("code_hash", flat=True)) == {
        slipcodes.code_hash(slipcodes.normalize(c)) for c in codes
    }
    client.logout()
    for code in codes:
        shown = client.get(urls[0].split("://")[1].split("/", 1)[1].join(["/", ""]))
        assert shown.status_code == 200
        opened = client.get("/accounts/invite/", {"code": code}).content.decode()
        assert ("Nguyễn Văn Ba" in opened) != ("Hoàng Thị Tư" in opened)


def test_nine_slips_make_two_pages(client_as, org, personas):
    users = [_invite(f"m{i}", f"Đảng Viên Số {i}", org["cell_a"]) for i in range(9)]
    data = client_as(personas["secretary_a"]).post(_url(org["cell_a"]), {"member": _ids(*users)}).content
    assert len(PdfReader(io.BytesIO(data)).pages) == 2
    assert len(CODE.findall(_text(data))) == 9


def test_a_slip_is_never_printed_for_oneself_the_secretary_by_a_deputy_or_an_officer(client_as, org, personas):
    deputy = make_member("pho", org["cell_a"], role="deputy", full_name="Vũ Văn Phó")
    officer_member = make_member("canbo_a", org["cell_a"], full_name="Cán Bộ Trong Chi Bộ")
    CommitteeRole.objects.create(user=officer_member, unit=org["cell_a"], started_on=datetime.date(2020, 1, 1))
    staff = make_member("staff_a", org["cell_a"], full_name="Nhân Viên Quản Trị", is_staff=True)
    client = client_as(deputy)
    refused = [deputy, personas["secretary_a"], officer_member, staff]
    page = client.get(_url(org["cell_a"])).content.decode()
    for user in refused:
        assert f'value="{_ids(user)[0]}"' not in page
    response = client.post(_url(org["cell_a"]), {"member": _ids(*refused)})
    assert response.status_code == 400
    assert "Chọn ít nhất một đồng chí" in response.content.decode()
    assert not InvitationSlip.objects.exists()
    # The deputy may print one for a plain member; the secretary one for the deputy.
    assert client.post(_url(org["cell_a"]), {"member": _ids(personas["member_a"])}).status_code == 200
    assert client_as(personas["secretary_a"]).post(_url(org["cell_a"]), {"member": _ids(deputy)}).status_code == 200


def test_a_member_of_another_cell_cannot_be_slipped_in(client_as, org, personas):
    response = client_as(personas["secretary_a"]).post(_url(org["cell_a"]), {"member": _ids(personas["member_b"])})
    assert response.status_code == 400
    assert not InvitationSlip.objects.exists()


def test_a_new_slip_replaces_the_old_and_the_page_says_so(client_as, org, personas):
    ba = _invite("bac_ba", "Nguyễn Văn Ba", org["cell_a"])
    client = client_as(personas["secretary_a"])
    client.post(_url(org["cell_a"]), {"member": _ids(ba)})
    assert "chưa dùng" in client.get(_url(org["cell_a"])).content.decode()
    client.post(_url(org["cell_a"]), {"member": _ids(ba)})
    slips = list(InvitationSlip.objects.filter(user=ba).order_by("id"))
    assert [s.revoked_at is not None for s in slips] == [True, False]


def test_the_page_costs_the_same_queries_for_more_members(client_as, org, personas):
    client = client_as(personas["secretary_a"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_url(org["cell_a"])).status_code == 200
        return len(ctx)

    _invite("u0", "Một", org["cell_a"])
    client.post(_url(org["cell_a"]), {"member": _ids(User.objects.get(username="u0"))})
    queries()  # warm the caches (session, roles)
    small = queries()
    for i in range(1, 8):
        user = _invite(f"u{i}", f"Người {i}", org["cell_a"])
        client.post(_url(org["cell_a"]), {"member": _ids(user)})
    assert queries() == small


def test_the_cell_page_links_to_the_slips_for_its_managers_only(client_as, org, personas):
    link = _url(org["cell_a"])
    assert (
        link in client_as(personas["secretary_a"]).get(reverse("cells:unit", args=[org["cell_a"].pk])).content.decode()
    )
    assert (
        link not in client_as(personas["member_a"]).get(reverse("cells:unit", args=[org["cell_a"].pk])).content.decode()
    )


def test_a_member_without_email_is_added_and_sent_to_the_slips(
    client_as, org, personas, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(personas["secretary_a"]).post(
            reverse("cells:member_add", args=[org["cell_a"].pk]),
            {"full_name": "Lò Văn Sáu", "email": "", "phone": "", "role": "member", "status": "official"},
            follow=True,
        )
    user = User.objects.get(full_name="Lò Văn Sáu")
    assert response.redirect_chain[-1][0] == f"{_url(org['cell_a'])}?member={_ids(user)[0]}"
    assert (user.email, user.has_usable_password()) == ("", False)
    assert mailoutbox == []
    page = response.content.decode()
    assert "in phiếu mời" in page
    assert f'value="{_ids(user)[0]}" checked>' in page


def test_the_member_page_links_to_a_slip_for_that_member(client_as, org, personas):
    client_as(personas["member_a"])  # has logged in: not chosen by default
    client = client_as(personas["secretary_a"])
    membership_id = _ids(personas["member_a"])[0]
    page = client.get(reverse("cells:membership", args=[membership_id])).content.decode()
    link = f"{_url(org['cell_a'])}?member={membership_id}"
    assert link in page
    slips = client.get(link).content.decode()
    assert f'value="{membership_id}" checked>' in slips


def test_a_double_tap_on_print_keeps_the_first_slips(client_as, org, personas):
    ba = _invite("bac_ba", "Nguyễn Văn Ba", org["cell_a"])
    client = client_as(personas["secretary_a"])
    page = client.get(_url(org["cell_a"])).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"member": _ids(ba), "idempotency_key": key}
    first = client.post(_url(org["cell_a"]), form)
    code = CODE.findall(_text(first.content))[0]
    again = client.post(_url(org["cell_a"]), form, follow=True)
    assert again.redirect_chain[-1][0] == _url(org["cell_a"])
    assert "vừa được in" in again.content.decode()
    assert InvitationSlip.objects.filter(user=ba).count() == 1
    slip = InvitationSlip.objects.get(user=ba)
    assert slip.revoked_at is None and slip.code_hash == slipcodes.code_hash(slipcodes.normalize(code))
    # A new rendering of the page (a new key) prints new slips, replacing that one.
    assert client.post(_url(org["cell_a"]), {"member": _ids(ba)}).status_code == 200
    assert InvitationSlip.objects.filter(user=ba, revoked_at__isnull=True).count() == 1


# --- A slip stops working when its member leaves (issue 13) ----------------------------------

INVITE = "/accounts/invite/"
NEW_PASSWORD = "ngôi-sao-vàng-1930"


def _use(client, code):
    data = {"code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return client.post(INVITE, data, REMOTE_ADDR="203.0.113.9")


def _print_one(client, cell, user) -> str:
    return CODE.findall(_text(client.post(_url(cell), {"member": _ids(user)}).content))[0]


def test_ending_the_membership_withdraws_the_slip_and_says_why(client_as, org, personas, client):
    from accounts.models import InvitationSlipEvent

    ba = _invite("bac_ba", "Nguyễn Văn Ba", org["cell_a"])
    secretary = client_as(personas["secretary_a"])
    code = _print_one(secretary, org["cell_a"], ba)
    membership = Membership.objects.get(user=ba, ended_on__isnull=True)
    response = secretary.post(
        reverse("cells:membership", args=[membership.pk]), {"action": "end", "reason": "Chuyển sinh hoạt ra ngoài"}
    )
    assert response.status_code == 302
    slip = InvitationSlip.objects.get(user=ba)
    assert slip.revoked_at is not None and slip.used_at is None
    withdrawn = InvitationSlipEvent.objects.get(action="withdrawn")
    assert (withdrawn.slip, withdrawn.user, withdrawn.actor) == (slip, ba, personas["secretary_a"])
    assert withdrawn.detail == "Chuyển sinh hoạt ra ngoài"
    with translation.override("vi"):
        assert withdrawn.get_action_display() == "Thu hồi: đã thôi sinh hoạt"

    client.logout()
    refused = _use(client, code)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Phiếu này không còn hiệu lực vì đồng chí đã thôi sinh hoạt tại chi bộ hoặc" in page
    assert 'value="' + code + '"' in page  # what was typed is kept
    ba.refresh_from_db()
    assert not ba.has_usable_password()
    tried = InvitationSlipEvent.objects.get(action="left")
    assert (tried.slip, tried.user, tried.ip) == (slip, ba, "203.0.113.9")


def test_ending_a_membership_leaves_used_and_other_members_slips_alone(client_as, org, personas):
    from accounts.models import InvitationSlipEvent
    from cells import services

    ba = _invite("bac_ba", "Nguyễn Văn Ba", org["cell_a"])
    tu = _invite("chu_tu", "Trần Văn Tư", org["cell_a"])
    secretary = client_as(personas["secretary_a"])
    used = _print_one(secretary, org["cell_a"], ba)
    assert _use(Client(), used).status_code == 302
    _print_one(secretary, org["cell_a"], tu)
    services.membership_end(
        actor=personas["secretary_a"], membership=Membership.objects.get(user=ba, ended_on__isnull=True), reason="x"
    )
    assert InvitationSlip.objects.get(user=ba).revoked_at is None  # used: nothing to withdraw
    assert InvitationSlip.objects.get(user=tu).revoked_at is None
    assert not InvitationSlipEvent.objects.filter(action="withdrawn").exists()


def test_moving_to_another_cell_withdraws_the_slip_the_old_cell_printed(client_as, org, personas):
    # The old cell's secretary still holds what she printed: it must not open the account of a
    # member who is now another cell's (whose secretary prints a new slip if needed).
    from accounts.models import InvitationSlipEvent

    ba = _invite("bac_ba", "Nguyễn Văn Ba", org["cell_a"])
    code = _print_one(client_as(personas["secretary_a"]), org["cell_a"], ba)
    membership = Membership.objects.get(user=ba, ended_on__isnull=True)
    response = client_as(personas["officer"]).post(
        reverse("cells:membership", args=[membership.pk]), {"action": "move", "to_cell": org["cell_b"].pk}
    )
    assert response.status_code == 302
    assert InvitationSlip.objects.get(user=ba).revoked_at is not None
    assert InvitationSlipEvent.objects.filter(action="withdrawn", user=ba).count() == 1
    assert _use(Client(), code).status_code == 400
    ba.refresh_from_db()
    assert not ba.has_usable_password()


def test_a_member_made_committee_officer_or_staff_can_no_longer_use_a_slip(client_as, org, personas):
    # Slips are never printed for officers or staff; one printed before the member became one
    # stops working (an officer's account opens a whole subtree).
    from cells.models import CommitteeRole

    ba = _invite("bac_ba", "Nguyễn Văn Ba", org["cell_a"])
    code = _print_one(client_as(personas["secretary_a"]), org["cell_a"], ba)
    CommitteeRole.objects.create(user=ba, unit=org["committee"], started_on=datetime.date(2020, 1, 1))
    assert InvitationSlip.objects.get(user=ba).revoked_at is not None
    assert _use(Client(), code).status_code == 400

    tu = _invite("bac_tu", "Nguyễn Văn Tư", org["cell_a"])
    code = _print_one(client_as(personas["secretary_a"]), org["cell_a"], tu)
    tu.is_staff = True
    tu.save(update_fields=["is_staff"])
    assert _use(Client(), code).status_code == 400
    tu.refresh_from_db()
    assert not tu.has_usable_password()


def test_printing_nobody_is_refused_with_the_summary_at_the_top(client_as, org, personas):
    response = client_as(personas["secretary_a"]).post(_url(org["cell_a"]), {})
    assert response.status_code == 400
    page = response.content.decode()
    assert summary_links(page) == [f"slip-member-{_ids(personas['member_a'])[0]}"]
    assert "Chọn ít nhất một đồng chí để in phiếu." in page


def test_the_migration_withdraws_the_open_slips_of_members_who_left_before_it(client_as, org, personas):
    import importlib

    from django.apps import apps

    from accounts.models import InvitationSlipEvent

    migration = importlib.import_module("cells.migrations.0009_withdraw_slips_of_former_members")
    gone = _invite("bac_ba", "Nguyễn Văn Ba", org["cell_a"])
    stays = _invite("chu_tu", "Trần Văn Tư", org["cell_a"])
    secretary = client_as(personas["secretary_a"])
    code = _print_one(secretary, org["cell_a"], gone)
    _print_one(secretary, org["cell_a"], stays)
    # Ended as before this change: the row only, the slip left open.
    Membership.objects.filter(user=gone).update(ended_on=datetime.date(2025, 1, 1), end_reason="Từ trần")
    migration.withdraw(apps, None)
    assert InvitationSlip.objects.get(user=gone).revoked_why == "left"
    assert InvitationSlip.objects.get(user=stays).revoked_at is None
    event = InvitationSlipEvent.objects.get(action="withdrawn")
    assert (event.user, event.detail) == (gone, "Từ trần")
    assert "thôi sinh hoạt" in _use(Client(), code).content.decode()
    migration.withdraw(apps, None)  # run again: nothing more
    assert InvitationSlipEvent.objects.filter(action="withdrawn").count() == 1
