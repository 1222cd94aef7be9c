"""Invitation slips (accounts.models.InvitationSlip) as an A4 PDF to print and cut: eight
slips a page (two columns, four rows, A7 each) with dashed cut lines. Each slip carries the
member's name and username, a QR code of the link that opens the slip's page with the code
filled in, the code to type, the site's address, what to do, and the last day it works.
Printed in Vietnamese whatever the secretary's language: the members read it."""

import io

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from accounts import slipcodes
from accounts.services import IssuedSlip
from core.pdf import SANS, SANS_BOLD, draw_fitted, draw_qr, nfc, register_fonts

COLUMNS, ROWS = 2, 4
PAD = 6 * mm
QR_SIZE = 34 * mm
GREY = colors.HexColor("#555555")


def invite_path() -> str:
    return reverse("accounts:invite")


def slip_url(code: str) -> str:
    return f"{settings.SITE_URL}{invite_path()}?code={slipcodes.display(code)}"


def _cut_lines(canvas: Canvas, width: float, height: float) -> None:
    canvas.saveState()
    canvas.setStrokeColor(colors.HexColor("#888888"))
    canvas.setLineWidth(0.5)
    canvas.setDash(4, 3)
    for column in range(1, COLUMNS):
        x = width * column / COLUMNS
        canvas.line(x, 0, x, height)
    for row in range(1, ROWS):
        y = height * row / ROWS
        canvas.line(0, y, width, y)
    canvas.setDash()
    canvas.setFont(SANS, 9)
    canvas.setFillColor(colors.HexColor("#888888"))
    for row in range(1, ROWS):
        canvas.drawString(3 * mm, height * row / ROWS - 3.2, "✂")
    canvas.restoreState()


def _wrapped(canvas: Canvas, text: str, *, x: float, y: float, width: float, font: str, size: float) -> float:
    """Draw `text` left-aligned in lines at most `width` wide from baseline y; returns the
    baseline below the last line."""
    canvas.setFont(font, size)
    for line in simpleSplit(nfc(text), font, size, width):
        canvas.drawString(x, y, line)
        y -= size * 1.25
    return y


def _slip(canvas: Canvas, item: IssuedSlip, *, x: float, y: float, width: float, height: float, cell: str) -> None:
    left, top, inner = x + PAD, y + height - PAD, width - 2 * PAD
    canvas.setFillColor(colors.black)
    draw_fitted(
        canvas, "PHIẾU MỜI DÙNG CHI BỘ SỐ", x=left, y=top - 9, width=inner, font=SANS_BOLD, size=10, align="left"
    )
    canvas.setFillColor(GREY)
    draw_fitted(canvas, cell, x=left, y=top - 20, width=inner, font=SANS, size=8, min_size=6, align="left")
    canvas.setFillColor(colors.black)
    canvas.setFont(SANS, 8)
    canvas.drawString(left, top - 33, "Kính gửi đồng chí")
    draw_fitted(canvas, item.user.full_name, x=left, y=top - 46, width=inner, font=SANS_BOLD, size=12, align="left")
    draw_fitted(
        canvas,
        f"Tên đăng nhập: {item.user.username}",
        x=left,
        y=top - 58,
        width=inner,
        font=SANS,
        size=9,
        min_size=6,
        align="left",
    )
    qr_y = y + PAD
    draw_qr(canvas, slip_url(item.code), x=left - 2 * mm, y=qr_y, size=QR_SIZE, quiet=3)
    text_x = left + QR_SIZE
    text_width = x + width - PAD - text_x
    line = qr_y + QR_SIZE - 9
    canvas.setFont(SANS, 7.5)
    canvas.drawString(text_x, line, "Mã của đồng chí:")
    draw_fitted(
        canvas,
        slipcodes.display(item.code),
        x=text_x,
        y=line - 15,
        width=text_width,
        font=SANS_BOLD,
        size=14,
        align="left",
    )
    site = settings.SITE_URL.split("://", 1)[-1] + invite_path()
    line = _wrapped(canvas, "Trang web:", x=text_x, y=line - 28, width=text_width, font=SANS, size=7.5)
    draw_fitted(canvas, site, x=text_x, y=line, width=text_width, font=SANS_BOLD, size=8, min_size=5, align="left")
    line -= 12
    steps = (
        "Quét mã QR bằng điện thoại, hoặc mở trang web trên và gõ mã. "
        "Đặt mật khẩu (có thể thêm số điện thoại) là dùng được ngay."
    )
    line = _wrapped(canvas, steps, x=text_x, y=line, width=text_width, font=SANS, size=7)
    expires = timezone.localtime(item.slip.expires_at)
    canvas.setFillColor(GREY)
    _wrapped(
        canvas,
        f"Mã dùng được một lần, đến {expires:%H:%M} ngày {expires:%d/%m/%Y}.",
        x=text_x,
        y=line - 2,
        width=text_width,
        font=SANS,
        size=6.5,
    )
    canvas.setFillColor(colors.black)


def slips_pdf(items: list[IssuedSlip], *, cell_name: str) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    width, height = A4
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(nfc(f"Phiếu mời – {cell_name}"))
    slip_w, slip_h = width / COLUMNS, height / ROWS
    per_page = COLUMNS * ROWS
    for start in range(0, max(len(items), 1), per_page):
        _cut_lines(canvas, width, height)
        for index, item in enumerate(items[start : start + per_page]):
            row, column = divmod(index, COLUMNS)
            _slip(
                canvas,
                item,
                x=column * slip_w,
                y=height - (row + 1) * slip_h,
                width=slip_w,
                height=slip_h,
                cell=cell_name,
            )
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
