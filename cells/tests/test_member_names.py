"""The name on a member's record: checked on every way in (add, CSV import, rename), changed
only by those who manage the membership, and audited."""

import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from accounts.models import NameChange, User
from cells.imports import parse_members_csv
from cells.models import Membership
from conftest import make_member

pytestmark = pytest.mark.django_db

REFUSED = {
    "bidi": ("Nguyễn Văn \u202eẤn", "đảo chiều"),
    "isolate": ("\u2067Trần Thị Bích\u2069", "đảo chiều"),
    "zero width": ("Lê\u200bVăn Tám", "ký tự vô hình"),
    "control": ("Lê Văn\x07 Tám", "ký tự điều khiển"),
    "only invisible": ("\u200b\u200c \u2060", "Hãy nhập họ và tên bằng chữ"),
}


def _membership_url(user) -> str:
    return reverse("cells:membership", args=[Membership.objects.get(user=user, ended_on__isnull=True).pk])


@pytest.mark.parametrize("typed,message", REFUSED.values(), ids=REFUSED.keys())
def test_the_add_form_refuses_a_bad_name_and_keeps_what_was_typed(client_as, org, personas, typed, message):
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:member_add", args=[org["cell_a"].pk]),
        {"full_name": typed, "email": "moi@example.org", "role": "member", "status": "official"},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"]["full_name"].value() == typed
    assert not User.objects.filter(email="moi@example.org").exists()


def test_the_add_form_stores_the_name_in_nfc(client_as, org, personas):
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:member_add", args=[org["cell_a"].pk]),
        {"full_name": unicodedata.normalize("NFD", "Võ  Thị Sáu"), "email": "sau@example.org", "role": "member"}
        | {"status": "official"},
    )
    assert response.status_code == 302
    assert User.objects.get(email="sau@example.org").full_name == "Võ Thị Sáu"


@pytest.mark.parametrize("typed,message", REFUSED.values(), ids=REFUSED.keys())
def test_the_csv_import_refuses_a_bad_name_on_its_line(org, typed, message):
    data = f"Họ và tên,Email\nĐặng Thu Hà,ha@example.org\n{typed},x@example.org\n".encode()
    with translation.override("vi"):
        result = parse_members_csv(data, unit=org["cell_a"])
    good, bad = result.rows
    assert good.errors == [] and good.full_name == "Đặng Thu Hà"
    assert bad.line == 3 and message in " ".join(bad.errors) and not result.ok


def test_the_csv_import_preview_shows_the_message(client_as, org, personas):
    data = "Họ và tên,Email\nNguyễn \u202eVăn,x@example.org\n".encode()
    response = client_as(personas["secretary_a"]).post(
        reverse("cells:member_import", args=[org["cell_a"].pk]), {"file": SimpleUploadedFile("ds.csv", data)}
    )
    assert response.status_code == 200 and "đảo chiều" in response.content.decode()
    assert not User.objects.filter(email="x@example.org").exists()


# --- Renaming: the secretary of the cell (or an officer above, or an admin) ------------------


def test_the_secretary_renames_a_member_with_an_audit_row(client_as, personas):
    member = personas["member_a"]
    client = client_as(personas["secretary_a"])
    url = _membership_url(member)
    assert 'name="full_name"' in client.get(url).content.decode()
    response = client.post(url, {"action": "name", "full_name": unicodedata.normalize("NFD", " Nguyễn  Văn Ân ")})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.full_name == "Nguyễn Văn Ân"
    change = NameChange.objects.get()
    assert (change.user, change.old_name, change.new_name, change.actor) == (
        member,
        "Nguyễn Văn Ấn",
        "Nguyễn Văn Ân",
        personas["secretary_a"],
    )
    page = client.get(url).content.decode()
    assert "Nguyễn Văn Ấn → Nguyễn Văn Ân" in page  # the history shows it


def test_an_officer_above_renames_too(client_as, personas):
    response = client_as(personas["officer"]).post(
        _membership_url(personas["member_a"]), {"action": "name", "full_name": "Nguyễn Văn An"}
    )
    assert response.status_code == 302
    assert NameChange.objects.get().actor == personas["officer"]


@pytest.mark.parametrize("typed,message", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_rename_is_refused_and_keeps_what_was_typed(client_as, personas, typed, message):
    member = personas["member_a"]
    response = client_as(personas["secretary_a"]).post(_membership_url(member), {"action": "name", "full_name": typed})
    assert response.status_code == 200 and message in response.content.decode()
    assert response.context["name_form"]["full_name"].value() == typed
    member.refresh_from_db()
    assert member.full_name == "Nguyễn Văn Ấn" and not NameChange.objects.exists()


@pytest.mark.parametrize(
    "persona,target,status",
    [
        ("member_a", "member_a", 403),  # nobody renames themselves here
        ("secretary_a", "secretary_a", 403),
        ("member_a", "secretary_a", 403),  # a member of the cell sees the cell, manages nobody
        ("secretary_b", "member_a", 404),  # another cell's secretary does not even see it
        ("member_b", "member_a", 404),
        ("outsider", "member_a", 404),
        ("secretary_a", "member_b", 404),
    ],
)
def test_everyone_else_is_refused(client_as, org, personas, persona, target, status):
    people = {**personas, "secretary_b": make_member("secretary_b", org["cell_b"], role="secretary")}
    response = client_as(people[persona]).post(
        _membership_url(people[target]), {"action": "name", "full_name": "Tên Khác"}
    )
    assert response.status_code == status
    assert not NameChange.objects.exists()
    assert not User.objects.filter(full_name="Tên Khác").exists()


def test_an_anonymous_rename_goes_to_login(client, personas):
    response = client.post(_membership_url(personas["member_a"]), {"action": "name", "full_name": "Tên Khác"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not NameChange.objects.exists()
