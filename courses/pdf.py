"""The certificate (giấy chứng nhận) as a one-page A4 landscape PDF.

Speed matters (a secretary downloads a cell's certificates as one ZIP): the QR matrix comes
from segno with a fixed mask (no mask search) and is drawn as one rectangle per run of dark
modules, in a single path; reportlab's own QR widget costs about 80 ms a page.
"""

import io

from django.conf import settings
from django.urls import reverse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from core.filenames import fold_ascii, zip_entry_name
from core.pdf import (
    SERIF,
    SERIF_BOLD,
    SERIF_ITALIC,
    balanced_lines,
    canvas_party_header,
    date_line,
    draw_fitted,
    draw_qr,
    nfc,
    register_fonts,
)

PAGE = landscape(A4)
RED = colors.HexColor("#b71c1c")


def verification_url(code: str) -> str:
    return settings.SITE_URL + reverse("certificate_verify", args=[code])


def _draw_wrapped(canvas: Canvas, text: str, *, top: float, width: float) -> None:
    """A long module title on up to three centred, even lines (never one word alone on the last),
    shrinking only if it still does not fit."""
    size = 15.0
    while True:
        lines = balanced_lines(text, SERIF_BOLD, size, width)
        if len(lines) <= 3 or size <= 8:
            break
        size -= 1
    canvas.setFont(SERIF_BOLD, size)
    x = canvas._pagesize[0] / 2
    for index, line in enumerate(lines):
        canvas.drawCentredString(x, top - index * size * 1.3, line)


def _date_line(certificate) -> str:
    """The issuing committee's place name as it was at issue (cells.selectors.place_of);
    a dotted blank when none was set."""
    return date_line(certificate.place, certificate.issued_on)


def signer_images(certificate, signer) -> tuple[ImageReader | None, ImageReader | None]:
    """The scanned signature and seal to print, only when the committee's current signer is the
    one the certificate was issued with (another person's signature never goes under a name)."""
    if signer is None or not certificate.signer_name:
        return None, None
    if (signer.name, signer.title) != (certificate.signer_name, certificate.signer_title):
        return None, None
    found = []
    for image in (signer.signature, signer.seal):
        reader = None
        if image:
            try:
                with image.open("rb") as handle:
                    reader = ImageReader(io.BytesIO(handle.read()))
            except OSError:  # a file lost from MEDIA_ROOT: the certificate still prints
                reader = None
        found.append(reader)
    return found[0], found[1]


def _draw_signature(canvas: Canvas, certificate, *, x: float, signature, seal) -> None:
    """T/M BAN THƯỜNG VỤ, the signer's title, the space (or scans) to sign and seal, the name."""
    canvas.setFillColor(colors.black)
    canvas.setFont(SERIF_BOLD, 12.5)
    canvas.drawCentredString(x, 64 * mm, "T/M BAN THƯỜNG VỤ")
    if certificate.signer_title:
        title = certificate.signer_title.upper()
        draw_fitted(canvas, title, x=x, y=58.5 * mm, width=100 * mm, font=SERIF_BOLD, size=12.5)
    if signature is not None:
        canvas.drawImage(
            signature, x - 27 * mm, 30 * mm, 54 * mm, 24 * mm, mask="auto", preserveAspectRatio=True, anchor="c"
        )
    if seal is not None:
        canvas.drawImage(
            seal, x - 40 * mm, 26 * mm, 32 * mm, 32 * mm, mask="auto", preserveAspectRatio=True, anchor="c"
        )
    if certificate.signer_name:
        draw_fitted(canvas, certificate.signer_name, x=x, y=22 * mm, width=100 * mm, font=SERIF_BOLD, size=13.5)
    else:
        canvas.setFont(SERIF_ITALIC, 10)
        canvas.drawCentredString(x, 53 * mm, "(Ký, ghi rõ họ tên và đóng dấu)")


def draw_certificate(canvas: Canvas, certificate, signer=None) -> None:
    register_fonts()
    width, height = PAGE
    margin = 18 * mm
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(2.5)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(12.5 * mm, 12.5 * mm, width - 25 * mm, height - 25 * mm)
    canvas.setStrokeColor(colors.black)

    canvas_party_header(
        canvas,
        superior=certificate.superior_name,
        unit=certificate.issuer_name,
        place_date=_date_line(certificate),
        x_left=margin + 55 * mm,
        x_right=width - margin - 60 * mm,
        top=height - 26 * mm,
        column_width=105 * mm,
    )

    canvas.setFillColor(RED)
    canvas.setFont(SERIF_BOLD, 34)
    canvas.drawCentredString(width / 2, height - 62 * mm, "GIẤY CHỨNG NHẬN")
    canvas.setFillColor(colors.black)
    canvas.setFont(SERIF_ITALIC, 13)
    canvas.drawCentredString(width / 2, height - 74 * mm, "Chứng nhận đồng chí")
    draw_fitted(
        canvas,
        certificate.holder_name,
        x=width / 2,
        y=height - 89 * mm,
        width=width - 2 * margin - 40 * mm,
        font=SERIF_BOLD,
        size=26,
        min_size=10,
    )
    canvas.setFont(SERIF, 13)
    canvas.drawCentredString(width / 2, height - 101 * mm, "Đã hoàn thành chương trình học tập chuyên đề")
    _draw_wrapped(canvas, f"“{certificate.module_title}”", top=height - 111 * mm, width=width - 2 * margin - 30 * mm)
    draw_fitted(
        canvas,
        f"theo {certificate.directive}",
        x=width / 2,
        y=height - 138 * mm,
        width=width - 2 * margin,
        font=SERIF_ITALIC,
        size=12,
    )

    signature, seal = signer_images(certificate, signer)
    _draw_signature(canvas, certificate, x=width - margin - 60 * mm, signature=signature, seal=seal)

    qr_size = 34 * mm
    url = verification_url(certificate.code)
    draw_qr(canvas, url, x=margin + 4 * mm, y=24 * mm, size=qr_size, quiet=2)
    canvas.setFont(SERIF, 9)
    text_x = margin + 4 * mm + qr_size + 4 * mm
    canvas.drawString(text_x, 52 * mm, nfc(f"Số: {certificate.serial}"))
    canvas.drawString(text_x, 46 * mm, "Mã xác minh:")
    canvas.setFont(SERIF_BOLD, 11)
    canvas.drawString(text_x, 41 * mm, certificate.code_display)
    canvas.setFont(SERIF, 9)
    canvas.drawString(text_x, 35 * mm, "Quét mã QR hoặc truy cập:")
    canvas.setFont(SERIF, 7)
    canvas.drawString(text_x, 31 * mm, url)


STATUS_MARKS = {"revoked": "ĐÃ THU HỒI", "replaced": "ĐÃ ĐƯỢC THAY THẾ"}


def draw_status_mark(canvas: Canvas, certificate) -> None:
    """A revoked or replaced certificate carries a large diagonal mark across the page, so a
    printout can never pass for a valid one (the record itself stays printable)."""
    mark = STATUS_MARKS.get(certificate.status)
    if mark is None:
        return
    width, height = PAGE
    canvas.saveState()
    canvas.translate(width / 2, height / 2)
    canvas.rotate(28)
    canvas.setFillColor(RED, alpha=0.55)
    canvas.setStrokeColor(RED, alpha=0.55)
    draw_fitted(canvas, mark, x=0, y=-20, width=width * 0.85, font=SERIF_BOLD, size=72, min_size=30)
    canvas.setLineWidth(4)
    canvas.line(-width * 0.42, -40, width * 0.42, -40)
    canvas.restoreState()


def _signers_by_module(certificates) -> dict[int, object]:
    """The current signer of each certificate's issuing committee, in two queries for any number."""
    from courses.models import CertificateSigner, Module

    module_ids = {certificate.module_id for certificate in certificates}
    units = {
        module_id: issuer_id or audience_id
        for module_id, issuer_id, audience_id in Module.objects.filter(pk__in=module_ids).values_list(
            "pk", "issuer_id", "audience_id"
        )
    }
    signers = {signer.unit_id: signer for signer in CertificateSigner.objects.filter(unit_id__in=set(units.values()))}
    return {module_id: signers.get(unit_id) for module_id, unit_id in units.items()}


_LOOK_UP = object()


def certificate_pdf(certificate, signer=_LOOK_UP) -> bytes:
    if signer is _LOOK_UP:
        signer = _signers_by_module([certificate]).get(certificate.module_id)
    buffer = io.BytesIO()
    # The initial font is one of ours: no unembedded Helvetica is even declared.
    register_fonts()
    canvas = Canvas(buffer, pagesize=PAGE, pageCompression=1, initialFontName=SERIF, initialFontSize=12)
    canvas.setTitle(nfc(f"Giấy chứng nhận {certificate.serial} – {certificate.holder_name}"))
    canvas.setAuthor(nfc(certificate.issuer_name))
    draw_certificate(canvas, certificate, signer)
    draw_status_mark(canvas, certificate)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def certificates_zip(certificates) -> bytes:
    """Every certificate as its own PDF in one ZIP (PDFs are already compressed: stored as is)."""
    import zipfile

    certificates = list(certificates)
    signers = _signers_by_module(certificates)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in certificates:
            pdf = certificate_pdf(certificate, signers.get(certificate.module_id))
            archive.writestr(certificate_zip_name(certificate), pdf)
    return buffer.getvalue()


def certificate_filename(certificate) -> str:
    return f"giay-chung-nhan-{certificate.serial}.pdf"


def certificate_zip_name(certificate) -> str:
    """Named by holder then serial (Nguyen-Van-Hung_QT-2020-000008.pdf), so a secretary finds a
    member's certificate in the ZIP; diacritics folded for every unzip tool."""
    return zip_entry_name(f"{fold_ascii(certificate.holder_name) or 'dang-vien'}_{certificate.serial}.pdf")
