"""The certificate (giấy chứng nhận) as a one-page A4 landscape PDF.

Speed matters (a secretary downloads a cell's certificates as one ZIP): the QR matrix comes
from segno with a fixed mask (no mask search) and is drawn as one rectangle per run of dark
modules, in a single path; reportlab's own QR widget costs about 80 ms a page.
"""

import io

import segno
from django.conf import settings
from django.urls import reverse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from core.filenames import fold_ascii, zip_entry_name
from core.pdf import SERIF, SERIF_BOLD, SERIF_ITALIC, draw_fitted, national_heading, nfc, register_fonts

PAGE = landscape(A4)
RED = colors.HexColor("#b71c1c")
QR_MASK = 2  # any fixed mask gives a valid symbol; fixing it skips segno's mask search


def verification_url(code: str) -> str:
    return settings.SITE_URL + reverse("certificate_verify", args=[code])


def draw_qr(canvas: Canvas, data: str, *, x: float, y: float, size: float) -> None:
    """Draw `data` as a QR code with its bottom-left corner at (x, y), `size` points wide."""
    qr = segno.make_qr(data, error="m", mask=QR_MASK, boost_error=False)
    matrix = qr.matrix
    count = len(matrix)
    quiet = 2
    cell = size / (count + 2 * quiet)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (quiet + row_index + 1) * cell
        col = 0
        while col < count:
            if row[col] & 1:
                start = col
                while col < count and row[col] & 1:
                    col += 1
                path.rect(x + (quiet + start) * cell, top, (col - start) * cell, cell)
            else:
                col += 1
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_wrapped(canvas: Canvas, text: str, *, top: float, width: float) -> None:
    """A long module title on up to three centred lines, shrinking only if it still does not fit."""
    text = nfc(text)
    size = 15.0
    while True:
        lines = simpleSplit(text, SERIF_BOLD, size, width)
        if len(lines) <= 3 or size <= 8:
            break
        size -= 1
    canvas.setFont(SERIF_BOLD, size)
    x = canvas._pagesize[0] / 2
    for index, line in enumerate(lines):
        canvas.drawCentredString(x, top - index * size * 1.3, line)


def _date_line(certificate) -> str:
    day = certificate.issued_on
    place = certificate.place or certificate.issuer_name
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def draw_certificate(canvas: Canvas, certificate) -> None:
    register_fonts()
    width, height = PAGE
    margin = 18 * mm
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(2.5)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(12.5 * mm, 12.5 * mm, width - 25 * mm, height - 25 * mm)

    national_heading(
        canvas,
        left_lines=[certificate.issuer_name.upper()],
        x_left=margin + 60 * mm,
        x_right=width - margin - 60 * mm,
        top=height - 28 * mm,
    )
    canvas.setFont(SERIF, 10)
    canvas.drawCentredString(margin + 60 * mm, height - 28 * mm - 16, "*")

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

    sign_x = width - margin - 60 * mm
    draw_fitted(
        canvas, _date_line(certificate), x=sign_x, y=62 * mm, width=110 * mm, font=SERIF_ITALIC, size=12, min_size=8
    )
    canvas.setFont(SERIF_BOLD, 12)
    canvas.drawCentredString(sign_x, 55 * mm, "T/M BAN THƯỜNG VỤ")
    draw_fitted(canvas, certificate.issuer_name.upper(), x=sign_x, y=49 * mm, width=110 * mm, font=SERIF_BOLD, size=12)
    canvas.setFont(SERIF_ITALIC, 10)
    canvas.drawCentredString(sign_x, 43 * mm, "(Ký, ghi rõ họ tên và đóng dấu)")

    qr_size = 34 * mm
    url = verification_url(certificate.code)
    draw_qr(canvas, url, x=margin + 4 * mm, y=24 * mm, size=qr_size)
    canvas.setFont(SERIF, 9)
    text_x = margin + 4 * mm + qr_size + 4 * mm
    canvas.drawString(text_x, 50 * mm, nfc(f"Số: {certificate.serial}"))
    canvas.drawString(text_x, 45 * mm, "Mã xác minh:")
    canvas.setFont(SERIF, 7.5)
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


def certificate_pdf(certificate) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, pageCompression=1)
    canvas.setTitle(nfc(f"Giấy chứng nhận {certificate.serial} – {certificate.holder_name}"))
    canvas.setAuthor(nfc(certificate.issuer_name))
    draw_certificate(canvas, certificate)
    draw_status_mark(canvas, certificate)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def certificates_zip(certificates) -> bytes:
    """Every certificate as its own PDF in one ZIP (PDFs are already compressed: stored as is)."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in certificates:
            archive.writestr(certificate_zip_name(certificate), certificate_pdf(certificate))
    return buffer.getvalue()


def certificate_filename(certificate) -> str:
    return f"giay-chung-nhan-{certificate.serial}.pdf"


def certificate_zip_name(certificate) -> str:
    """Named by holder then serial (Nguyen-Van-Hung_QT-2020-000008.pdf), so a secretary finds a
    member's certificate in the ZIP; diacritics folded for every unzip tool."""
    return zip_entry_name(f"{fold_ascii(certificate.holder_name) or 'dang-vien'}_{certificate.serial}.pdf")
