"""A person's full name: one validator (accounts.validators) on every path that writes one;
the member cannot change their own; an admin's change is audited."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.models import NameChange, User
from accounts.validators import clean_full_name
from conftest import make_user

pytestmark = pytest.mark.django_db

BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]]
# Other control and format characters: NUL, ESC, DEL, C1, zero-width space / joiners,
# word joiner, soft hyphen, byte-order mark, interlinear annotation, private use.
CONTROL = [
    "\x00",
    "\x1b",
    "\x7f",
    "\x90",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\u00ad",
    "\ufeff",
    "\ufff9",
    "\ue000",
]
EMPTY = ["", "   ", "\u200b", "\u200b\u200c\u2060", " \ufeff ", "\u3000\u00a0", "\u202e", "...", "123"]


@pytest.mark.parametrize("char", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_it_refuses_bidi_controls(char):
    with translation.override("vi"), pytest.raises(ValidationError) as refused:
        clean_full_name(f"Nguyễn Văn {char}Ấn")
    assert refused.value.error_list[0].code == "bidi"
    assert "đảo chiều" in refused.value.messages[0] and f"U+{ord(char):04X}" in refused.value.messages[0]


@pytest.mark.parametrize("char", CONTROL, ids=[f"U+{ord(c):04X}" for c in CONTROL])
def test_it_refuses_control_and_format_characters(char):
    with translation.override("vi"), pytest.raises(ValidationError) as refused:
        clean_full_name(f"Nguyễn Văn{char} Ấn")
    assert refused.value.error_list[0].code == "control"
    assert "ký tự vô hình hoặc ký tự điều khiển" in refused.value.messages[0]


@pytest.mark.parametrize("value", EMPTY, ids=[repr(v) for v in EMPTY])
def test_it_refuses_a_name_without_letters(value):
    with translation.override("vi"), pytest.raises(ValidationError) as refused:
        clean_full_name(value)
    assert refused.value.error_list[0].code == "empty"
    assert "Hãy nhập họ và tên bằng chữ" in refused.value.messages[0]


def test_it_stores_names_in_nfc_with_single_spaces():
    typed = unicodedata.normalize("NFD", "  Hoàng\u00a0 Thị   Ngọc Diệp ")
    assert clean_full_name(typed) == "Hoàng Thị Ngọc Diệp"
    # Whatever path saves a user (fixtures, shell, createsuperuser), the stored name is NFC.
    user = make_user("nfd", unicodedata.normalize("NFD", "Đặng Thu Hà"))
    user.refresh_from_db()
    assert user.full_name == "Đặng Thu Hà" and unicodedata.is_normalized("NFC", user.full_name)


# --- The member cannot change their own name -------------------------------------------------


def test_the_member_sees_their_name_read_only_and_who_can_change_it(client_as, personas):
    page = client_as(personas["member_a"]).get(reverse("accounts:profile")).content.decode()
    assert 'name="full_name"' not in page
    assert "Nguyễn Văn Ấn" in page and "Chỉ bí thư chi bộ hoặc quản trị viên hệ thống mới đổi được" in page


def test_a_crafted_post_does_not_change_the_name(client_as, personas):
    user = personas["member_a"]
    response = client_as(user).post(
        reverse("accounts:profile"),
        {"full_name": "Tên Tự Chọn", "email": user.email, "phone": "0900 000 000", "language": "vi"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.phone) == ("Nguyễn Văn Ấn", "0900 000 000")
    assert not NameChange.objects.exists()


# --- The admin ----------------------------------------------------------------------------------


def _admin_change(client, user: User, **changes):
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "language": user.language,
        "email_notifications": "on",
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%d/%m/%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **changes,
    }
    return client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)


def test_an_admin_renames_with_an_audit_row(client, personas):
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    typed = unicodedata.normalize("NFD", "Nguyễn  Văn Ân")
    response = _admin_change(client, personas["member_a"], full_name=typed)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(pk=personas["member_a"].pk)
    assert user.full_name == "Nguyễn Văn Ân"
    change = NameChange.objects.get()
    assert (change.user, change.old_name, change.new_name, change.actor) == (
        user,
        "Nguyễn Văn Ấn",
        "Nguyễn Văn Ân",
        root,
    )


@pytest.mark.parametrize("typed", ["Nguyễn Văn \u202eẤn", "Nguyễn\u200bVăn Ấn", "\u200b\u200b"])
def test_the_admin_refuses_a_bad_name_and_keeps_what_was_typed(client, personas, typed):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    response = _admin_change(client, personas["member_a"], full_name=typed)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["full_name"] and form["full_name"].value() == typed.strip()
    assert User.objects.get(pk=personas["member_a"].pk).full_name == "Nguyễn Văn Ấn"
    assert not NameChange.objects.exists()


def test_the_admin_adds_a_user_with_a_checked_name(client):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    data = {"username": "moi", "email": "moi@example.org", "password1": "Mat-khau-dai-9", "password2": "Mat-khau-dai-9"}
    refused = client.post(reverse("admin:accounts_user_add"), {**data, "full_name": "Người \u2066Mới"})
    assert refused.status_code == 200 and not User.objects.filter(username="moi").exists()
    added = client.post(
        reverse("admin:accounts_user_add"), {**data, "full_name": unicodedata.normalize("NFD", "Người Mới")}
    )
    assert added.status_code == 302
    assert User.objects.get(username="moi").full_name == "Người Mới"


def test_the_audit_is_read_only_in_the_admin(client, personas):
    from accounts.services import user_rename

    user_rename(actor=None, user=personas["member_a"], full_name="Nguyễn Văn Ân")
    change = NameChange.objects.get()
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    assert client.get("/admin/accounts/namechange/").status_code == 200
    assert client.get(f"/admin/accounts/namechange/{change.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/namechange/add/").status_code == 403
    client.post(f"/admin/accounts/namechange/{change.pk}/delete/", {"post": "yes"})
    assert NameChange.objects.filter(pk=change.pk).exists()
    for who in ["member_a", "secretary_a", "officer"]:
        client.force_login(personas[who])
        assert client.get("/admin/accounts/namechange/").status_code == 302, who  # to the admin's login
