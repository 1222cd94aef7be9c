import io
import unicodedata

import pypdfium2
import pytest
import zxingcpp
from django.conf import settings
from pypdf import PdfReader

from conftest import make_member
from courses.models import Certificate
from courses.pdf import certificate_pdf, certificates_zip
from courses.tests.conftest import build_module, complete

NAMES = {
    "cell_a": "Nguyễn Thị Hồng Nhung",
    "cell_b": "Đặng Quốc Việt",
    "cell_c": "Hồ Thị Kiều Oanh",
}


@pytest.fixture
def certificates(org):
    module = build_module(org["province"])  # every cell studies it
    issued = []
    for cell, name in NAMES.items():
        # A decomposed (NFD) name as typed on some phones must still come out whole.
        user = make_member(f"u_{cell}", org[cell], full_name=unicodedata.normalize("NFD", name))
        complete(user, module)
        issued.append(Certificate.objects.get(user=user))
    return issued


def _text(data: bytes) -> str:
    return unicodedata.normalize("NFC", PdfReader(io.BytesIO(data)).pages[0].extract_text())


def test_it_prints_the_holders_exact_name_for_every_cell(certificates):
    for certificate in certificates:
        data = certificate_pdf(certificate)
        text = _text(data)
        assert certificate.holder_name == NAMES[f"cell_{certificate.cell.name[-1].lower()}"]
        assert certificate.holder_name in text
        assert "GIẤY CHỨNG NHẬN" in text
        assert certificate.serial in text
        assert "Chỉ thị 05-CT/TW" in text


def test_it_is_a4_landscape(certificates):
    page = PdfReader(io.BytesIO(certificate_pdf(certificates[0]))).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert round(width) == 842 and round(height) == 595


def test_it_shrinks_a_very_long_name_to_fit(certificates):
    certificate = certificates[0]
    certificate.holder_name = "Công Tằng Tôn Nữ Thị Hoàng Phương Thảo Nguyễn Phước Bảo Ngọc Lan Anh Thư"
    text = _text(certificate_pdf(certificate))
    assert certificate.holder_name in text.replace("\n", " ")


def test_it_has_a_qr_code_that_leads_to_the_verification_page(certificates):
    certificate = certificates[0]
    document = pypdfium2.PdfDocument(certificate_pdf(certificate))
    image = document[0].render(scale=2).to_pil()
    results = zxingcpp.read_barcodes(image)
    urls = [r.text for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert urls == [f"{settings.SITE_URL}/certificates/verify/{certificate.code}/"]


def test_it_zips_one_pdf_per_certificate(certificates):
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(certificates_zip(certificates)))
    assert len(archive.namelist()) == 3
    for name in archive.namelist():
        assert archive.read(name).startswith(b"%PDF-")
