"""Shared PDF plumbing for certificates, minutes and pledges (reportlab).

Fonts are the vendored DejaVu faces (static/fonts, Bitstream Vera licence), which cover
Vietnamese; they are registered once per process. reportlab does not position combining
marks, so every string drawn goes through `nfc` first.
"""

import html
import re
import threading
import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
SANS_ITALIC = "DejaVuSans-Oblique"
SERIF = "DejaVuSerif"
SERIF_BOLD = "DejaVuSerif-Bold"
SERIF_ITALIC = "DejaVuSerif-Italic"
_FACES = [SANS, SANS_BOLD, SANS_ITALIC, SERIF, SERIF_BOLD, SERIF_ITALIC]

_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the embedded faces once (about 100 ms); later calls cost nothing."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for face in _FACES:
            pdfmetrics.registerFont(TTFont(face, str(FONT_DIR / f"{face}.ttf")))
        pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS_ITALIC, boldItalic=SANS_BOLD)
        pdfmetrics.registerFontFamily(SERIF, normal=SERIF, bold=SERIF_BOLD, italic=SERIF_ITALIC, boldItalic=SERIF_BOLD)
        _registered = True


def nfc(text: object) -> str:
    return unicodedata.normalize("NFC", str(text))


def fit_font_size(text: str, font: str, max_size: float, min_size: float, width: float) -> float:
    """The largest size (down to min_size) at which `text` fits in `width` points."""
    size = max_size
    while size > min_size and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def draw_fitted(
    canvas: Canvas,
    text: str,
    *,
    x: float,
    y: float,
    width: float,
    font: str,
    size: float,
    min_size: float = 8,
    align: str = "center",
) -> float:
    """Draw one line, shrunk to fit `width` rather than overflow; returns the size used."""
    text = nfc(text)
    used = fit_font_size(text, font, size, min_size, width)
    canvas.setFont(font, used)
    if align == "center":
        canvas.drawCentredString(x, y, text)
    elif align == "right":
        canvas.drawRightString(x, y, text)
    else:
        canvas.drawString(x, y, text)
    return used


def styles(base: str = SANS, size: float = 11) -> dict[str, ParagraphStyle]:
    """Paragraph styles for flowing documents (minutes, pledges)."""
    register_fonts()
    bold = SANS_BOLD if base == SANS else SERIF_BOLD
    italic = SANS_ITALIC if base == SANS else SERIF_ITALIC
    return {
        "body": ParagraphStyle("body", fontName=base, fontSize=size, leading=size * 1.4, spaceAfter=size * 0.5),
        "small": ParagraphStyle(
            "small", fontName=base, fontSize=size - 2, leading=(size - 2) * 1.35, textColor=colors.HexColor("#444444")
        ),
        "italic": ParagraphStyle("italic", fontName=italic, fontSize=size, leading=size * 1.4),
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=size + 5, leading=(size + 5) * 1.3, alignment=TA_CENTER, spaceAfter=size
        ),
        "heading": ParagraphStyle(
            "heading",
            fontName=bold,
            fontSize=size + 1,
            leading=(size + 1) * 1.35,
            spaceBefore=size * 0.8,
            spaceAfter=size * 0.4,
        ),
        "center": ParagraphStyle("center", fontName=base, fontSize=size, leading=size * 1.4, alignment=TA_CENTER),
        "center_bold": ParagraphStyle(
            "center_bold", fontName=bold, fontSize=size, leading=size * 1.4, alignment=TA_CENTER
        ),
    }


def page_furniture(footer_left: str, footer_right: str = ""):
    """An `onPage` callback for SimpleDocTemplate: a thin rule and footer on every page,
    with the page number, so printed pages stay in order."""
    footer_left = nfc(footer_left)
    footer_right = nfc(footer_right)

    def draw(canvas: Canvas, doc) -> None:
        register_fonts()
        width, _height = doc.pagesize
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.setLineWidth(0.4)
        canvas.line(doc.leftMargin, 14 * mm, width - doc.rightMargin, 14 * mm)
        canvas.setFont(SANS, 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(doc.leftMargin, 10 * mm, footer_left)
        right = f"{footer_right} · {doc.page}" if footer_right else str(doc.page)
        canvas.drawRightString(width - doc.rightMargin, 10 * mm, right)
        canvas.restoreState()

    return draw


PORTRAIT = A4


# --- Certificates and pledge forms ---------------------------------------------------------
# The Party document header drawn on a canvas (certificates, the pledge's first page) and line
# breaking that never leaves one word alone on a title's last line.


def balanced_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """`text` broken into lines at most `width` points wide, as few as greedy breaking needs,
    but as even as they can be (a centred title then reads as a block), and never with a
    single word alone on the last line when the line above can give it company."""
    from reportlab.lib.utils import simpleSplit

    text = nfc(" ".join(str(text).split()))
    lines = simpleSplit(text, font, size, width)
    if len(lines) < 2:
        return lines
    # The narrowest width that still needs no more lines: every line about as long.
    low, high = width / len(lines), width
    while high - low > 1:
        middle = (low + high) / 2
        if len(simpleSplit(text, font, size, middle)) <= len(lines):
            high = middle
        else:
            low = middle
    lines = simpleSplit(text, font, size, high)
    # Still an orphan (very long words): move words down from the line above while they fit.
    while len(lines) > 1 and len(lines[-1].split()) == 1 and len(lines[-2].split()) > 2:
        above = lines[-2].split()
        moved = f"{above[-1]} {lines[-1]}"
        if pdfmetrics.stringWidth(moved, font, size) > width:
            break
        lines[-2:] = [" ".join(above[:-1]), moved]
    return lines


def date_line(place: str, day) -> str:
    """ "Quảng Trị, ngày 12 tháng 03 năm 2020"; dotted blanks for what is not known yet."""
    place = nfc(place).strip() or "……………"
    if day is None:
        return f"{place}, ngày ….. tháng ….. năm ……."
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def canvas_party_header(
    canvas: Canvas,
    *,
    superior: str,
    unit: str,
    place_date: str,
    x_left: float,
    x_right: float,
    top: float,
    column_width: float,
    font: str = SERIF,
    bold: str = SERIF_BOLD,
    italic: str = SERIF_ITALIC,
    size: float = 12,
) -> None:
    """The two-column header of a Party document (Hướng dẫn 36-HD/VPTW): on the left the
    superior committee, the issuing unit in bold capitals and a star under it; on the right
    ĐẢNG CỘNG SẢN VIỆT NAM, underlined, and the place and date in italics below it. Each
    column is centred on its x and shrinks its lines to `column_width` rather than overflow."""
    register_fonts()
    y = top
    if superior:
        draw_fitted(canvas, superior.upper(), x=x_left, y=y, width=column_width, font=font, size=size, min_size=7)
        y -= size * 1.3
    draw_fitted(canvas, unit.upper(), x=x_left, y=y, width=column_width, font=bold, size=size, min_size=7)
    canvas.setFont(font, size)
    canvas.drawCentredString(x_left, y - size * 1.2, "*")
    heading = "ĐẢNG CỘNG SẢN VIỆT NAM"
    used = draw_fitted(canvas, heading, x=x_right, y=top, width=column_width, font=bold, size=size + 1, min_size=8)
    half = pdfmetrics.stringWidth(heading, bold, used) / 2
    canvas.setLineWidth(0.6)
    canvas.line(x_right - half, top - 3, x_right + half, top - 3)
    draw_fitted(
        canvas, place_date, x=x_right, y=top - size * 2, width=column_width, font=italic, size=size - 0.5, min_size=7
    )


# --- Pieces of a Party document of record (Hướng dẫn 36-HD/VPTW) -------------------------------
# Minutes, certificates and pledge forms share the two-column header and the signature blocks.


def party_header(
    *, superior: str, unit: str, place_date: str, width: float, number: str = "", size: float = 11
) -> Table:
    """The two-column header of a Party document, as a flowable.

    Left: the superior committee, the issuing unit in bold capitals, a star under it and the
    document's number when there is one. Right: ĐẢNG CỘNG SẢN VIỆT NAM in bold, underlined,
    and under it in italics the place and date."""
    register_fonts()
    centre = ParagraphStyle("ph", fontName=SERIF, fontSize=size, leading=size * 1.3, alignment=TA_CENTER)
    bold = ParagraphStyle("phb", parent=centre, fontName=SERIF_BOLD)
    italic = ParagraphStyle("phi", parent=centre, fontName=SERIF_ITALIC)
    column = width * 0.46

    def even(text: str, font: str) -> str:
        # A name that wraps does so on even lines, never leaving one word alone (balanced_lines).
        return "<br/>".join(html.escape(line) for line in balanced_lines(nfc(text).upper(), font, size, column - 2))

    left = []
    if superior:
        left.append(Paragraph(even(superior, SERIF), centre))
    left.append(Paragraph(even(unit, SERIF_BOLD), bold))
    left.append(Paragraph("*", bold))
    if number:
        left.append(Paragraph(html.escape(nfc(number)), centre))
    right = [
        Paragraph("<u>ĐẢNG CỘNG SẢN VIỆT NAM</u>", ParagraphStyle("phr", parent=bold, fontSize=size + 1)),
        Spacer(1, 2 * mm),
        Paragraph(html.escape(nfc(place_date)), italic),
    ]
    table = Table([[left, right]], colWidths=[column, width - column])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (-1, -1), SERIF),  # else the table sets Helvetica, not embedded
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def signature_blocks(
    blocks: list[tuple[str, str]], *, width: float, caption: str = "(Ký, ghi rõ họ tên)", size: float = 11
) -> Table:
    """Signature blocks side by side: each a title in bold capitals (THƯ KÝ, CHỦ TRÌ, T/M BAN
    THƯỜNG VỤ), the caption in italics, room to sign, and the printed name in bold (left
    blank to be written by hand when it is not known)."""
    register_fonts()
    centre = ParagraphStyle("sb", fontName=SERIF, fontSize=size, leading=size * 1.3, alignment=TA_CENTER)
    bold = ParagraphStyle("sbb", parent=centre, fontName=SERIF_BOLD)
    italic = ParagraphStyle("sbi", parent=centre, fontName=SERIF_ITALIC, fontSize=size - 1)
    cells = []
    for title, name in blocks:
        cells.append(
            [
                Paragraph(html.escape(nfc(title).upper()), bold),
                Paragraph(html.escape(nfc(caption)), italic),
                Spacer(1, 22 * mm),
                Paragraph(html.escape(nfc(name)) if name else "&nbsp;", bold),
            ]
        )
    table = Table([cells], colWidths=[width / len(blocks)] * len(blocks))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONT", (0, 0), (-1, -1), SERIF)]))
    return table


_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "li", "blockquote", "pre", "ol", "ul", "hr"} | _HEADINGS


class _MarkupFlow(HTMLParser):
    """core.markup's cleaned HTML as paragraphs: numbered and bulleted lists keep their
    numbers and bullets (nested lists indented), bold and italic stay, quotes are indented."""

    def __init__(self, style: ParagraphStyle, text: Callable[[str], str]):
        super().__init__(convert_charrefs=True)
        self.style, self.text = style, text
        self.out: list[Flowable] = []
        self.buffer: list[str] = []
        self.lists: list[list] = []  # [kind, next number]
        self.bullet: str | None = None
        self.quote = 0

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self.flush()
        if tag in ("ol", "ul"):
            start = dict(attrs).get("start") or "1"
            self.lists.append([tag, int(start) if start.isdigit() else 1])
        elif tag == "li" and self.lists:
            kind = self.lists[-1]
            self.bullet = f"{kind[1]}." if kind[0] == "ol" else "•"
            kind[1] += 1
        elif tag == "blockquote":
            self.quote += 1
        elif tag in ("strong", "b") or tag in _HEADINGS:
            self.buffer.append("<b>")
        elif tag in ("em", "i"):
            self.buffer.append("<i>")
        elif tag == "br":
            self.buffer.append("<br/>")

    def handle_endtag(self, tag):
        if tag in ("strong", "b") or tag in _HEADINGS:
            self.buffer.append("</b>")
        elif tag in ("em", "i"):
            self.buffer.append("</i>")
        if tag in _BLOCKS:
            self.flush()
        if tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)

    def handle_data(self, data):
        self.buffer.append(html.escape(nfc(self.text(data)), quote=False))

    def _italic(self) -> str:
        return SERIF_ITALIC if self.style.fontName.startswith(SERIF) else SANS_ITALIC

    def flush(self):
        body = "".join(self.buffer).strip()
        self.buffer = []
        if not re.sub(r"</?[bi]>|<br/>", "", body).strip():
            return
        depth = len(self.lists)
        indent = self.style.leftIndent + 7 * mm * depth + 6 * mm * self.quote
        style = ParagraphStyle(
            f"m{depth}{self.quote}",
            parent=self.style,
            leftIndent=indent,
            bulletIndent=indent - 5 * mm,
            bulletFontName=self.style.fontName,
            bulletFontSize=self.style.fontSize,
            fontName=self.style.fontName if not self.quote else self._italic(),
        )
        self.out.append(Paragraph(body, style, bulletText=self.bullet))
        self.bullet = None


def markup_flowables(body_html: str, style: ParagraphStyle, *, text: Callable[[str], str] = str) -> list[Flowable]:
    """Paragraphs for HTML made by core.markup (lists keep their numbers and bullets);
    `text` rewrites each run of text first (the forum prints mentions as names with it)."""
    parser = _MarkupFlow(style, text)
    parser.feed(body_html or "")
    parser.close()
    parser.flush()
    return parser.out


# --- QR codes ------------------------------------------------------------------------------


def draw_qr(canvas: Canvas, data: str, *, x: float, y: float, size: float, quiet: int = 4) -> None:
    """Draw `data` as a QR code with its bottom-left corner at (x, y), `size` points wide
    including a white margin of `quiet` modules. segno with a fixed mask (no mask search),
    drawn as one rectangle per run of dark modules in a single path (certificates, slips)."""
    import segno

    matrix = segno.make_qr(data, error="m", mask=2, boost_error=False).matrix
    count = len(matrix)
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
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
