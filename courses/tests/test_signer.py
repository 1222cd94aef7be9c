"""The certificate's signer (set by a site admin per committee), the optional scanned signature
and seal (checked as images, re-encoded, shown only to those allowed), and the page's parts."""

import io
import unicodedata
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.utils import simpleSplit

from cells.models import OrgUnit
from conftest import make_user
from core.pdf import SERIF_BOLD, balanced_lines, register_fonts
from courses.models import Certificate, CertificateSigner
from courses.pdf import certificate_pdf, certificates_zip
from courses.tests.conftest import build_module, complete

ADD = "/admin/courses/certificatesigner/add/"


def _png(size=(300, 120), colour=(10, 20, 120), kind="PNG") -> bytes:
    image = Image.new("RGB", size, "white")
    for x in range(20, size[0] - 20):
        image.putpixel((x, size[1] // 2), colour)
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def _upload(data: bytes, name="scan.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def admin_user(db):
    return make_user("admin", "Quản Trị Viên", is_superuser=True, is_staff=True)


@pytest.fixture
def signer(org, admin_user, client_as):
    response = client_as(admin_user).post(
        ADD,
        {
            "unit": org["committee"].pk,
            "title": "Phó Bí thư Thường trực",
            "name": "Hoàng  Văn Đức",
            "signature": _upload(_png()),
            "seal": _upload(_png((200, 200), (200, 20, 20), "JPEG"), "seal.jpg", "image/jpeg"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return CertificateSigner.objects.get(unit=org["committee"])


def _text(data: bytes) -> str:
    return unicodedata.normalize("NFC", PdfReader(io.BytesIO(data)).pages[0].extract_text())


def _issue(personas, org) -> Certificate:
    module = build_module(org["committee"])
    complete(personas["member_a"], module)
    return Certificate.objects.get(user=personas["member_a"])


def test_the_admin_sets_the_signer_and_the_certificate_prints_it(signer, personas, org):
    assert (signer.title, signer.name) == ("PHÓ BÍ THƯ THƯỜNG TRỰC", "Hoàng Văn Đức")
    OrgUnit.objects.filter(pk=org["province"].pk).update(place="Quảng Trị")
    certificate = _issue(personas, org)
    assert (certificate.signer_title, certificate.signer_name) == ("PHÓ BÍ THƯ THƯỜNG TRỰC", "Hoàng Văn Đức")
    assert certificate.superior_name == "Tỉnh ủy Thử nghiệm"
    data = certificate_pdf(certificate)
    text = _text(data)
    for part in (
        "TỈNH ỦY THỬ NGHIỆM",  # header, left: the superior committee
        "ĐẢNG ỦY KHỐI",  # then the issuing committee
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Quảng Trị, ngày",
        "GIẤY CHỨNG NHẬN",
        certificate.holder_name,
        "T/M BAN THƯỜNG VỤ",
        "PHÓ BÍ THƯ THƯỜNG TRỰC",
        "Hoàng Văn Đức",
        certificate.code_display,
    ):
        assert part in text, part
    assert "Ký, ghi rõ họ tên" not in text  # the placeholder is gone when a signer is known
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert len(page.images) == 2  # the scanned signature and the seal
    with zipfile.ZipFile(io.BytesIO(certificates_zip([certificate]))) as archive:
        (name,) = archive.namelist()
        assert len(PdfReader(io.BytesIO(archive.read(name))).pages[0].images) == 2


def test_fonts_are_embedded_and_nothing_else_is_declared(signer, personas, org):
    page = PdfReader(io.BytesIO(certificate_pdf(_issue(personas, org)))).pages[0]
    fonts = page["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        assert "DejaVu" in font["/BaseFont"]
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor


def test_a_certificate_issued_before_a_signer_was_set_keeps_a_space_to_sign(personas, org):
    text = _text(certificate_pdf(_issue(personas, org)))
    assert "T/M BAN THƯỜNG VỤ" in text and "(Ký, ghi rõ họ tên và đóng dấu)" in text


def test_another_signers_scans_never_go_under_the_issued_name(signer, personas, org, admin_user):
    certificate = _issue(personas, org)
    signer.name = "Người Khác"
    signer.save()
    data = certificate_pdf(certificate)
    assert "Hoàng Văn Đức" in _text(data)  # the name it was issued with
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 0


def test_uploads_are_re_encoded_png_under_media_not_the_uploaded_bytes(signer, settings):
    for field in (signer.signature, signer.seal):
        assert field.name.startswith(f"courses/signers/{signer.unit_id}/") and field.name.endswith(".png")
        with field.open("rb") as handle:
            data = handle.read()
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and image.mode == "RGBA"
            assert image.getpixel((0, 0))[3] == 0  # white paper became transparent
    assert str(settings.MEDIA_ROOT) in signer.signature.path


def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (6000, 6000)).save(buffer, format="PNG")  # a few KB, 36 million pixels
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ\x90\x00 not an image at all", "Hãy tải lên ảnh PNG hoặc JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "Hãy tải lên ảnh PNG hoặc JPEG"),
        (_png()[:200], "Hãy tải lên ảnh PNG hoặc JPEG"),  # truncated: the header is fine, the pixels are not
        (b"GIF89a" + _png()[6:], "Hãy tải lên ảnh PNG hoặc JPEG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "Hãy tải lên ảnh PNG hoặc JPEG"),
        (_bomb(), "3000"),
        (b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 10), "2 MB"),
    ],
)
def test_an_upload_that_is_not_a_sane_image_is_refused_with_a_message(client_as, admin_user, org, data, message):
    response = client_as(admin_user).post(
        ADD, {"unit": org["committee"].pk, "title": "Bí thư", "name": "A", "signature": _upload(data)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CertificateSigner.objects.exists()


def test_nobody_but_a_site_admin_may_set_a_signer_or_upload(client_as, personas, org):
    officer = personas["officer"]
    officer.is_staff = True  # an officer who authors modules in the admin
    officer.save()
    form = {"unit": org["committee"].pk, "title": "Bí thư", "name": "Giả Mạo", "signature": _upload(_png())}
    for name in ("member_a", "secretary_a", "member_b", "officer", "outsider", "anonymous"):
        client = client_as(personas[name])
        page = client.get(ADD)
        posted = client.post(ADD, form)
        if name == "officer":
            assert page.status_code == 403 and posted.status_code == 403, name
        else:  # not staff: the admin sends them to its log-in page
            assert page.status_code == 302 and "/admin/login/" in page["Location"], name
            assert posted.status_code == 302 and "/admin/login/" in posted["Location"], name
        form["signature"] = _upload(_png())
    assert not CertificateSigner.objects.exists()


def test_the_images_are_shown_only_to_admins_and_officers_over_the_committee(client_as, signer, personas, org):
    url = reverse("courses:signer_image", args=[signer.pk, "signature"])
    seal = reverse("courses:signer_image", args=[signer.pk, "seal"])
    ok = client_as(make_user("admin2", is_superuser=True, is_staff=True)).get(url)
    assert ok.status_code == 200 and ok["Content-Type"] == "image/png"
    assert "no-store" in ok["Cache-Control"] and ok["X-Content-Type-Options"] == "nosniff"
    assert client_as(personas["officer"]).get(seal).status_code == 200
    other_officer = make_user("other_officer")
    from cells.models import CommitteeRole

    CommitteeRole.objects.create(user=other_officer, unit=org["other_committee"], started_on="2020-01-01")
    for user in (
        personas["member_a"],
        personas["secretary_a"],
        personas["member_b"],
        personas["outsider"],
        other_officer,
    ):
        assert client_as(user).get(url).status_code == 404, user
        assert client_as(user).get(seal).status_code == 404, user
    anonymous = client_as(None).get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert client_as(personas["officer"]).get(reverse("courses:signer_image", args=[signer.pk, "x"])).status_code == 404


def test_media_is_not_served_as_public_files(client_as, signer):
    assert client_as(None).get("/media/" + signer.signature.name).status_code == 404


TITLE = (
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về xây dựng Đảng và hệ thống chính trị "
    "trong sạch, vững mạnh năm 2020 ở cơ sở"
)


def test_a_wrapped_title_never_leaves_one_word_alone_on_its_last_line():
    register_fonts()
    found = 0
    for width in range(200, 700, 3):
        greedy = simpleSplit(TITLE, SERIF_BOLD, 15, width)
        lines = balanced_lines(TITLE, SERIF_BOLD, 15, width)
        assert " ".join(lines) == " ".join(TITLE.split())
        assert len(lines) <= len(greedy)
        if len(lines) > 1:
            assert len(lines[-1].split()) > 1, (width, lines)
        found += len(greedy) > 1 and len(greedy[-1].split()) == 1
    assert found  # greedy breaking orphans a word at some widths: the case is really tried


# Greedy breaking puts "dựng”" alone on a second line at the certificate's width.
ORPHANED = "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về xây dựng"


def test_the_certificate_title_breaks_evenly_on_the_page(personas, org):
    module = build_module(org["committee"], title=ORPHANED)
    complete(personas["member_a"], module)
    text = _text(certificate_pdf(Certificate.objects.get(user=personas["member_a"])))
    lines = [line for line in text.splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith("“"))
    end = next(i for i in range(start, len(lines)) if lines[i].rstrip().endswith("”"))
    assert end > start  # it wraps
    assert len(lines[end].split()) > 1
    assert lines[end].strip() != "dựng”"


def test_the_admin_page_previews_through_the_protected_view_and_never_links_media(client_as, admin_user, signer):
    body = client_as(admin_user).get(f"/admin/courses/certificatesigner/{signer.pk}/change/").content.decode()
    assert reverse("courses:signer_image", args=[signer.pk, "signature"]) in body
    assert reverse("courses:signer_image", args=[signer.pk, "seal"]) in body
    assert signer.signature.name not in body and "/media/" not in body
    assert 'accept="image/png,image/jpeg"' in body


def test_replacing_a_scan_deletes_the_old_file(client_as, admin_user, signer, django_capture_on_commit_callbacks):
    old = signer.signature.name
    storage = signer.signature.storage
    url = f"/admin/courses/certificatesigner/{signer.pk}/change/"
    form = {"unit": signer.unit_id, "title": signer.title, "name": signer.name, "signature": _upload(_png((320, 100)))}
    with django_capture_on_commit_callbacks(execute=True):
        assert client_as(admin_user).post(url, form).status_code == 302
    signer.refresh_from_db()
    assert signer.signature.name != old and storage.exists(signer.signature.name)
    assert not storage.exists(old)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(admin_user).post(
            url, {"unit": signer.unit_id, "title": signer.title, "name": signer.name, "remove_seal": "on"}
        )
        assert response.status_code == 302
    signer.refresh_from_db()
    assert not signer.seal and signer.signature


def test_the_date_line_is_the_issuing_committees_place_as_it_was_at_issue(personas, org):
    """The place of the issuing committee or the nearest unit above it that has one
    (cells.selectors.place_of), kept on the certificate: a later change does not rewrite an
    issued certificate. No place anywhere: a dotted blank, never the committee's name."""
    OrgUnit.objects.filter(pk=org["province"].pk).update(place="Quảng Trị")
    OrgUnit.objects.filter(pk=org["committee"].pk).update(place="Đông Hà")
    certificate = _issue(personas, org)
    assert certificate.place == "Đông Hà"
    OrgUnit.objects.filter(pk=org["committee"].pk).update(place="Cam Lộ")
    day = certificate.issued_on
    assert f"Đông Hà, ngày {day:%d} tháng {day:%m} năm {day:%Y}" in _text(certificate_pdf(certificate))
    Certificate.objects.filter(pk=certificate.pk).update(place="")
    text = _text(certificate_pdf(Certificate.objects.get(pk=certificate.pk)))
    assert f"……………, ngày {day:%d}" in text and "Đảng ủy Khối, ngày" not in text
