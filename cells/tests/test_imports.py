"""CSV import of members: the parser's checks, and the upload → preview → confirm flow."""

import base64
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from cells.imports import fold, parse_members_csv, suggest_username
from cells.models import Membership, MembershipEvent

GOOD = (
    "Họ và tên,Email,Tên đăng nhập,Vai trò,Trạng thái\n"
    "Nguyễn Văn An,an@example.org,,Đảng viên,Chính thức\n"
    "Trần Thị Bình,binh@example.org,binhtt,Phó bí thư,Dự bị\n"
)


def _parse(text: str, encoding: str = "utf-8"):
    with translation.override("en"):
        return parse_members_csv(text.encode(encoding))


def _row_errors(result) -> dict[int, list[str]]:
    return {row.line: row.errors for row in result.rows if row.errors}


# --- Parser ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_reads_a_good_file_with_vietnamese_headers():
    result = _parse(GOOD)
    assert result.ok
    an, binh = result.rows
    assert (an.line, an.full_name, an.username, an.email, an.role, an.status) == (
        2,
        "Nguyễn Văn An",
        "annv",
        "an@example.org",
        "member",
        "official",
    )
    assert (binh.line, binh.username, binh.role, binh.status) == (3, "binhtt", "deputy", "probationary")


@pytest.mark.django_db
def test_it_reads_excel_csv_with_a_bom_and_semicolons():
    text = "\ufeffHọ và tên;Email;Điện thoại;Vai trò\r\nLê Văn Cường;cuong@example.org;0912 345 678;Bí thư\r\n"
    result = _parse(text)
    assert result.ok, (result.errors, _row_errors(result))
    (row,) = result.rows
    assert (row.full_name, row.phone, row.role) == ("Lê Văn Cường", "0912 345 678", "secretary")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Ho va ten,Email,Ten dang nhap,Vai tro,Trang thai",
        "HỌ VÀ TÊN,E-mail,Tài khoản,Chức vụ,Loại đảng viên",
        "Họ tên,Thư điện tử,Username,Role,Status",
        "full_name,email,user_name,role,status",
    ],
)
def test_it_understands_headers_with_or_without_diacritics(header):
    result = _parse(f"{header}\nĐặng Thu Hà,ha@example.org,hadt,pho bi thu,du bi\n")
    assert result.ok, (result.errors, _row_errors(result))
    (row,) = result.rows
    assert (row.full_name, row.username, row.role, row.status) == ("Đặng Thu Hà", "hadt", "deputy", "probationary")


@pytest.mark.django_db
@pytest.mark.parametrize("family", ["Họ và tên đệm", "Họ", "Ho dem", "Họ và tên lót"])
def test_it_joins_a_name_split_over_two_columns(family):
    result = _parse(f"STT,{family},Tên,Email\n1,Nguyễn Thị Ánh,Tuyết,tuyet@example.org\n2,,Lan,lan@example.org\n")
    assert result.ok, (result.errors, _row_errors(result))
    assert [(row.full_name, row.username) for row in result.rows] == [
        ("Nguyễn Thị Ánh Tuyết", "tuyetnta"),
        ("Lan", "lan"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_it_reads_any_line_ending(newline):
    text = newline.join(["Ho ten,Email", "An,an@example.org", "", "Binh,binh@example.org", ""])
    result = _parse(text)
    assert result.ok, result.errors
    assert [(row.line, row.full_name) for row in result.rows] == [(2, "An"), (4, "Binh")]


@pytest.mark.django_db
def test_it_reads_a_windows_1258_file():
    result = parse_members_csv("Ho ten,Email\nAn,an@example.org\n".encode("cp1258"))
    assert result.ok


@pytest.mark.django_db
def test_it_names_every_problem_by_line(personas):
    text = (
        "Họ và tên,Email,Tên đăng nhập,Vai trò,Trạng thái\n"
        ",thieu@example.org,,,\n"  # 2: missing name
        "Hai,not-an-email,,,\n"  # 3: bad email
        "Ba,MEMBER_A@EXAMPLE.ORG,,,\n"  # 4: email already in the database, other case
        "Bốn,bon@example.org,member_b,,\n"  # 5: username in the database
        "Năm,nam@example.org,trung,,\n"  # 6
        "Sáu,sau@example.org,TRUNG,,\n"  # 7: username also on line 6
        "Bảy,Nam@Example.org,,,\n"  # 8: email also on line 6, other case
        "Tám,tam@example.org,,Chủ tịch,\n"  # 9: unknown role
        "Chín,chin@example.org,,,tạm thời\n"  # 10: unknown status
        "Mười,,,,\n"  # 11: fine, no email (invited with a printed slip)
        "Mười một,muoimot@example.org,têncódấu,,\n"  # 12: username with accents
        "Mười hai,muoihai@example.org,,,\n"  # 13: fine
        f"Mười ba,{'a' * 64}@{'b' * 60}.{'c' * 60}.{'d' * 60}.{'e' * 60}.org,,,\n"  # 14: over 254 characters
    )
    result = _parse(text)
    assert not result.ok
    errors = _row_errors(result)
    assert sorted(errors) == [2, 3, 4, 5, 7, 8, 9, 10, 12, 14]
    assert "The full name is missing." in errors[2]
    assert errors[3] == ["“not-an-email” is not a valid email address."]
    assert errors[4] == ["The email MEMBER_A@EXAMPLE.ORG already belongs to an account."]
    assert errors[5] == ["The username member_b is already taken."]
    assert errors[7] == ["The username TRUNG is also on line 6."]
    assert errors[8] == ["The email Nam@Example.org is also on line 6."]
    assert errors[9][0].startswith("Unknown role “Chủ tịch”")
    assert errors[10][0].startswith("Unknown status “tạm thời”")
    assert errors[12][0].startswith("The username “têncódấu” may only contain")
    assert errors[14][0].endswith("is not a valid email address.")
    assert result.error_count == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"Ten,So\nAn,1\n", "The first line must name the columns"),
        (b"Ho ten,Email\n\n\n", "The file has no member rows"),
        (b"\x81\x8d\x8f\x90\x9d" * 10, "The file is not a text CSV file"),
        (b"x" * (1024 * 1024 + 1), "The file is larger than 1 MB."),
        (b"Ho ten,Email\nA\x00n,an@example.org\n", "The file is not a text CSV file"),
        ("Họ và tên\tEmail\nAn\tan@example.org\n".encode("utf-16"), "The file is not a text CSV file"),
        # A field over the csv module's size limit is the file's fault, not a server error.
        (b'Ho ten,Email\n"' + b"x" * 200_000 + b'",a@example.org\n', "The file is not a text CSV file"),
    ],
)
def test_it_refuses_unreadable_files_as_a_whole(data, message):
    with translation.override("en"):
        result = parse_members_csv(data)
    assert not result.ok
    assert result.rows == []
    assert any(message in error for error in result.errors), result.errors


@pytest.mark.django_db
def test_it_refuses_more_than_the_row_limit():
    text = "Ho ten,Email\n" + "".join(f"N{i},n{i}@example.org\n" for i in range(1001))
    result = _parse(text)
    assert not result.ok
    assert "At most 1000" in result.errors[0]


@pytest.mark.django_db
def test_it_suggests_usernames_that_avoid_the_database_and_the_file(personas):
    User.objects.create(username="annv", full_name="x", email="annv@example.org")
    text = (
        "Ho ten,Email,Ten dang nhap\n"
        "Nguyễn Văn An,a1@example.org,\n"
        "Nguyễn Văn Ân,a2@example.org,\n"
        "X,x@example.org,annv3\n"
    )
    result = _parse(text)
    assert result.ok
    assert [row.username for row in result.rows] == ["annv2", "annv4", "annv3"]


def test_it_folds_vietnamese_text():
    assert fold("  Họ VÀ   tên ") == "ho va ten"
    assert fold("Đảng viên") == "dang vien"
    assert suggest_username("Nguyễn Thị Ánh Tuyết", set()) == "tuyetnta"
    assert suggest_username("", set()) == "user"


# --- Upload, preview, confirm over HTTP -----------------------------------------------------


def _upload(client, cell, text: str, name: str = "members.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("cells:member_import", args=[cell.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")})


def test_it_imports_after_preview_and_the_invitation_link_works_once(
    client_as, org, personas, mailoutbox, django_capture_on_commit_callbacks, client
):
    secretary = client_as(personas["secretary_a"])
    preview = _upload(secretary, org["cell_a"], GOOD)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Nguyễn Văn An" in html and "annv" in html
    assert not User.objects.filter(email="an@example.org").exists()  # nothing before the confirmation
    payload = preview.context["payload"]
    assert payload

    url = reverse("cells:member_import", args=[org["cell_a"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        confirm = secretary.post(url, {"payload": payload})
    assert confirm.status_code == 302
    assert confirm["Location"] == reverse("cells:unit", args=[org["cell_a"].pk])

    an = User.objects.get(email="an@example.org")
    assert not an.has_usable_password()
    membership = an.memberships.get()
    assert (membership.cell, membership.role, membership.is_active) == (org["cell_a"], "member", True)
    assert MembershipEvent.objects.get(membership=membership).actor == personas["secretary_a"]
    assert User.objects.get(username="binhtt").memberships.get().role == "deputy"
    assert sorted(m.to[0] for m in mailoutbox) == ["an@example.org", "binh@example.org"]

    # The invitation e-mail's one-time link sets a password, after which the member can log in.
    mail = next(m for m in mailoutbox if m.to == ["an@example.org"])
    assert "annv" in mail.body
    path = urlsplit(re.search(r"https?://\S+", mail.body).group(0)).path
    client.logout()
    step = client.get(path, follow=True)
    assert step.status_code == 200
    assert not step.context.get("token_fail")
    action = step.redirect_chain[-1][0] if step.redirect_chain else path
    done = client.post(action, {"password1": "Mat-khau-rat-dai-2024", "password2": "Mat-khau-rat-dai-2024"})
    assert done.status_code == 302
    an.refresh_from_db()
    assert an.check_password("Mat-khau-rat-dai-2024")
    client.logout()
    assert client.login(username="annv", password="Mat-khau-rat-dai-2024")
    client.logout()
    # The same link no longer works.
    again = client.get(path, follow=True)
    assert again.context["token_fail"]


def test_it_refuses_an_import_into_another_cell(client_as, org, personas):
    secretary = client_as(personas["secretary_a"])
    assert _upload(secretary, org["cell_b"], GOOD).status_code == 404
    payload = base64.b64encode(GOOD.encode()).decode()
    url = reverse("cells:member_import", args=[org["cell_b"].pk])
    assert secretary.post(url, {"payload": payload}).status_code == 404
    assert not User.objects.filter(email="an@example.org").exists()


@pytest.mark.parametrize(("language", "line_label"), [("vi", "Dòng 3"), ("en", "Line 3")])
def test_it_imports_nothing_when_one_row_is_bad_and_names_the_row(
    client_as, org, personas, settings, mailoutbox, language, line_label
):
    secretary = client_as(personas["secretary_a"])
    secretary.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    text = (
        "Họ và tên,Email\n"
        "Nguyễn Văn An,an@example.org\n"
        "Trần Thị Bình,khong-phai-email\n"  # line 3
        "Lê Văn Cường,cuong@example.org\n"
    )
    response = _upload(secretary, org["cell_a"], text)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{line_label}:" in html
    assert "khong-phai-email" in html
    assert 'name="payload"' not in html  # no confirm button
    assert response.context["payload"] == ""
    # Even a forged confirmation of the same file imports nothing.
    url = reverse("cells:member_import", args=[org["cell_a"].pk])
    forged = secretary.post(url, {"payload": base64.b64encode(text.encode()).decode()})
    assert forged.status_code == 200
    assert f"{line_label}:" in forged.content.decode()
    assert not User.objects.filter(email__in=["an@example.org", "cuong@example.org"]).exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    "payload",
    ["", "!!!not base64!!!", "tiếng việt", base64.b64encode(b"\x00\xff\xfe garbage").decode(), "QQ="],
)
def test_it_imports_nothing_from_a_garbled_confirmation(client_as, org, personas, payload):
    url = reverse("cells:member_import", args=[org["cell_a"].pk])
    response = client_as(personas["secretary_a"]).post(url, {"payload": payload})
    assert response.status_code == 200
    assert response.context["result"] is not None and not response.context["result"].ok
    assert Membership.objects.filter(cell=org["cell_a"]).count() == 2


def test_it_rechecks_the_rows_at_confirmation(client_as, org, personas, mailoutbox):
    """A username taken between preview and confirmation stops the whole import."""
    secretary = client_as(personas["secretary_a"])
    preview = _upload(secretary, org["cell_a"], GOOD)
    User.objects.create(username="binhtt", full_name="Kẻ Nhanh Tay", email="nhanh@example.org")
    url = reverse("cells:member_import", args=[org["cell_a"].pk])
    response = secretary.post(url, {"payload": preview.context["payload"]})
    assert response.status_code == 200
    assert not User.objects.filter(email__in=["an@example.org", "binh@example.org"]).exists()
    assert mailoutbox == []


def test_it_asks_for_a_file(client_as, org, personas):
    url = reverse("cells:member_import", args=[org["cell_a"].pk])
    response = client_as(personas["secretary_a"]).post(url, {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_it_lets_the_officer_import_into_a_cell_below_them(
    client_as, org, personas, django_capture_on_commit_callbacks
):
    officer = client_as(personas["officer"])
    preview = _upload(officer, org["cell_b"], GOOD)
    url = reverse("cells:member_import", args=[org["cell_b"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert officer.post(url, {"payload": preview.context["payload"]}).status_code == 302
    assert Membership.objects.filter(cell=org["cell_b"], user__email="an@example.org").exists()
    assert _upload(officer, org["cell_c"], GOOD).status_code == 404


def test_it_shows_hostile_names_as_text_in_the_preview_and_the_member_list(
    client_as, org, personas, django_capture_on_commit_callbacks
):
    import csv
    import io
    from pathlib import Path

    from django.conf import settings
    from django.utils.html import escape

    lines = (Path(settings.BASE_DIR) / "testdata" / "xss-payload-list.txt").read_text(encoding="utf-8").splitlines()
    payloads = [p.strip() for p in lines if "<" in p and len(p) <= 150][:40]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Họ và tên", "Email"])
    for i, payload in enumerate(payloads):
        writer.writerow([payload, f"x{i}@example.org"])
    secretary = client_as(personas["secretary_a"])
    preview = _upload(secretary, org["cell_a"], out.getvalue())
    assert preview.context["result"].ok, _row_errors(preview.context["result"])
    url = reverse("cells:member_import", args=[org["cell_a"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert secretary.post(url, {"payload": preview.context["payload"]}).status_code == 302
    page = secretary.get(reverse("cells:unit", args=[org["cell_a"].pk])).content.decode()
    for html in (preview.content.decode(), page):
        for payload in payloads:
            assert payload not in html
            assert escape(payload) in html


def test_it_previews_an_excel_file_uploaded_over_http(client_as, org, personas):
    text = "\ufeffHo va ten;Email;Vai tro;Trang thai\r\nNguyễn Văn An;an@example.org;Phó bí thư;Dự bị\r\n"
    response = _upload(client_as(personas["secretary_a"]), org["cell_a"], text)
    result = response.context["result"]
    assert result.ok
    assert (result.rows[0].full_name, result.rows[0].role, result.rows[0].status) == (
        "Nguyễn Văn An",
        "deputy",
        "probationary",
    )
    assert base64.b64decode(response.context["payload"]).startswith(b"\xef\xbb\xbf")  # the file as uploaded


def test_it_imports_once_when_the_confirmation_is_sent_twice(
    client_as, org, personas, mailoutbox, django_capture_on_commit_callbacks
):
    secretary = client_as(personas["secretary_a"])
    payload = _upload(secretary, org["cell_a"], GOOD).context["payload"]
    url = reverse("cells:member_import", args=[org["cell_a"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert secretary.post(url, {"payload": payload}).status_code == 302
        again = secretary.post(url, {"payload": payload})
    assert again.status_code == 200
    assert not again.context["result"].ok
    assert User.objects.filter(email__in=["an@example.org", "binh@example.org"]).count() == 2
    assert len(mailoutbox) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 300])
def test_it_checks_a_file_in_three_queries_whatever_its_length(django_assert_max_num_queries, size):
    text = "Ho ten,Email\n" + "".join(f"Nguyễn Văn {i},n{i}@example.org\n" for i in range(size))
    with django_assert_max_num_queries(3):  # e-mails taken, usernames taken, usernames to suggest around
        result = _parse(text)
    assert result.ok
    assert len({row.username for row in result.rows}) == size
