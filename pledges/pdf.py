"""The pledge as a PDF laid out for printing and signing (A4 portrait)."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core import pdf as corepdf
from core.pdf import nfc
from pledges.models import Pledge, Rating


def _para(text: str, style) -> Paragraph:
    # Paragraph reads a small XML dialect: user text is escaped, newlines kept as breaks.
    return Paragraph(escape(nfc(text)).replace("\n", "<br/>"), style)


def pledge_pdf(pledge: Pledge) -> bytes:
    """`pledge` must carry `answer_list` (see selectors.pledge_with_answers). The paper is a
    Vietnamese Party document whatever the reader's UI language (the rating labels too)."""
    with translation.override("vi"):
        return _build(pledge)


def _build(pledge: Pledge) -> bytes:
    corepdf.register_fonts()
    st = corepdf.styles(corepdf.SERIF, 12)
    buffer = io.BytesIO()
    width, height = corepdf.PORTRAIT
    doc = SimpleDocTemplate(
        buffer,
        pagesize=corepdf.PORTRAIT,
        leftMargin=25 * mm,
        rightMargin=20 * mm,
        topMargin=45 * mm,
        bottomMargin=22 * mm,
        title=nfc(f"{pledge.template.title} – {pledge.member.full_name}"),
        author=nfc(pledge.member.full_name),
    )
    furniture = corepdf.page_furniture(f"{pledge.member.full_name} · {pledge.cell.name}", str(pledge.year))

    def first_page(canvas, document):
        corepdf.national_heading(
            canvas,
            left_lines=[pledge.template.unit.name.upper(), pledge.cell.name.upper()],
            x_left=25 * mm + 40 * mm,
            x_right=width - 20 * mm - 45 * mm,
            top=height - 20 * mm,
        )
        furniture(canvas, document)

    story = [
        _para(pledge.template.title.upper(), st["title"]),
    ]
    if not pledge.template.names_year:
        story.append(_para(f"Năm {pledge.year}", st["center"]))
    story += [
        Spacer(1, 4 * mm),
        _para(f"Họ và tên: {pledge.member.full_name}", st["body"]),
        _para(f"Chi bộ: {pledge.cell.name}", st["body"]),
    ]
    if pledge.template.intro:
        story.append(_para(pledge.template.intro, st["italic"]))
    review = pledge.status in (Pledge.Status.REVIEWED, Pledge.Status.RATED)
    for index, answer in enumerate(pledge.answer_list, start=1):
        story.append(_para(f"{index}. {answer.section.title}", st["heading"]))
        story.append(_para(answer.text or "…", st["body"]))
        if review and answer.review_text:
            story.append(_para("Kết quả thực hiện:", st["italic"]))
            story.append(_para(answer.review_text, st["body"]))
    if pledge.proposed_rating:
        story.append(_para(f"Tự đánh giá, xếp loại: {Rating(pledge.proposed_rating).label}", st["body"]))
    if pledge.rating:
        story.append(_para(f"Chi bộ xếp loại: {Rating(pledge.rating).label}", st["body"]))
        if pledge.rating_comment:
            story.append(_para(pledge.rating_comment, st["body"]))
    today = timezone.localdate()
    story += [
        Spacer(1, 8 * mm),
        _para(f"…, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}", st["center"]),
        Spacer(1, 3 * mm),
    ]
    signatures = Table(
        [
            [_para("XÁC NHẬN CỦA CHI BỘ", st["center_bold"]), _para("NGƯỜI CAM KẾT", st["center_bold"])],
            [_para("(Ký, ghi rõ họ tên)", st["center"]), _para("(Ký, ghi rõ họ tên)", st["center"])],
            ["", ""],
            ["", _para(pledge.member.full_name, st["center_bold"])],
        ],
        colWidths=[(width - 45 * mm) / 2] * 2,
        rowHeights=[None, None, 25 * mm, None],
    )
    signatures.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(signatures)
    doc.build(story, onFirstPage=first_page, onLaterPages=furniture)
    return buffer.getvalue()
