"""The pledge as a PDF laid out for printing and signing (A4 portrait)."""

import io
import re
from html.parser import HTMLParser
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cells.models import Membership, OrgUnit
from cells.selectors import place_of
from core import pdf as corepdf
from core.pdf import nfc
from pledges.models import Pledge, PledgeEvent, Rating


def _para(text: str, style) -> Paragraph:
    # Paragraph reads a small XML dialect: user text is escaped, newlines kept as breaks.
    return Paragraph(escape(nfc(text)).replace("\n", "<br/>"), style)


# --- Stored (cleaned) HTML to reportlab paragraphs --------------------------------------------
# Answers are Markdown, shown on the page from the HTML stored when they were written; the
# paper prints the same content. Only the basic tags become Paragraph markup (b, i, strike,
# line breaks, paragraphs, list items with their bullet or number, indented quotes); every
# piece of text is escaped, and links print as their text.

_INLINE = {"strong": "b", "b": "b", "em": "i", "i": "i", "del": "strike"}
_BLOCKS = {"p", "li", "ul", "ol", "blockquote", "pre", "hr"}


class _HtmlToParagraphs(HTMLParser):
    def __init__(self, style: ParagraphStyle):
        super().__init__(convert_charrefs=True)
        self.style = style
        self.out: list[Paragraph] = []
        self.text: list[str] = []  # markup of the paragraph being built
        self.inline: list[str] = []  # open inline tags (b, i, strike)
        self.lists: list[list] = []  # [kind, counter] per open list
        self.quote = 0
        self.pre = False
        self.bullet: str | None = None

    def _flush(self) -> None:
        markup = "".join(self.text) + "".join(f"</{t}>" for t in reversed(self.inline))
        self.text = [f"<{t}>" for t in self.inline]
        if not markup.replace("<br/>", "").strip() or not _has_text(markup):
            return
        indent = (len(self.lists) * 7 + self.quote * 8) * mm
        style = self.style
        if indent:
            style = ParagraphStyle(
                f"{self.style.name}-{indent}",
                parent=self.style,
                leftIndent=indent,
                bulletIndent=indent - 5 * mm,
                bulletFontName=self.style.fontName,  # the default Helvetica has no Vietnamese
            )
        bullet, self.bullet = self.bullet, None
        try:
            self.out.append(Paragraph(markup, style, bulletText=bullet))
        except ValueError:  # never expected from cleaned HTML; the text still prints
            self.out.append(Paragraph(escape(_strip_tags(markup)), style, bulletText=bullet))

    def handle_starttag(self, tag, attrs):
        if tag in _INLINE:
            self.inline.append(_INLINE[tag])
            self.text.append(f"<{_INLINE[tag]}>")
        elif tag == "br":
            self.text.append("<br/>")
        elif tag in _BLOCKS:
            self._flush()
            if tag in ("ul", "ol"):
                start = dict(attrs).get("start") or "1"
                self.lists.append([tag, (int(start) if start.isdigit() else 1) - 1])
            elif tag == "li" and self.lists:
                current = self.lists[-1]
                current[1] += 1
                self.bullet = "•" if current[0] == "ul" else f"{current[1]}."
            elif tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in _INLINE:
            name = _INLINE[tag]
            if name in self.inline:
                index = len(self.inline) - 1 - self.inline[::-1].index(name)
                closing = self.inline[index:]
                self.text.append("".join(f"</{t}>" for t in reversed(closing)))
                del self.inline[index]
                self.text.append("".join(f"<{t}>" for t in self.inline[index:]))
        elif tag in _BLOCKS:
            self._flush()
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            elif tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = False

    def handle_data(self, data):
        text = escape(nfc(data))
        self.text.append(text.replace("\n", "<br/>") if self.pre else text)

    def close(self):
        super().close()
        self._flush()


def _has_text(markup: str) -> bool:
    return bool(_strip_tags(markup).strip())


def _strip_tags(markup: str) -> str:
    return re.sub(r"<[^>]*>", "", markup)


def html_paragraphs(html: str, style: ParagraphStyle) -> list[Paragraph]:
    """The stored, cleaned HTML of a user text as reportlab paragraphs (see above)."""
    parser = _HtmlToParagraphs(style)
    parser.feed(html or "")
    parser.close()
    return parser.out


def _place_and_date(pledge: Pledge) -> str:
    """ "<place>, ngày dd tháng mm năm yyyy": the place name of the member's cell or the nearest
    committee above it that has one (set in the admin, cells.selectors.place_of) and the day
    the pledge was (last) submitted; dotted blanks for either that is not known yet."""
    moment = pledge.submitted_at
    day = timezone.localtime(moment).date() if moment else None
    return corepdf.date_line(place_of(pledge.cell), day)


# How the confirmation block signs for each cell leader who may approve (pledges.services.LEADER_ROLES).
SIGNING_TITLES = {Membership.Role.SECRETARY: "BÍ THƯ", Membership.Role.DEPUTY: "PHÓ BÍ THƯ"}


def approval_of(pledge: Pledge):
    """The approval the cell's confirmation block prints: the latest approval, while the pledge
    is still approved (a reopened pledge has none until it is approved again)."""
    if pledge.approved_at is None:
        return None
    approvals = [e for e in getattr(pledge, "event_list", []) if e.action == PledgeEvent.Action.APPROVED]
    return approvals[-1] if approvals else None


def _confirmation(pledge: Pledge, st) -> tuple[list, list, str]:
    """The left column, filled from the approval: what the approver wrote, the date, on whose
    behalf and the role; then the name under the space to sign."""
    approval = approval_of(pledge)
    if approval is None:
        return [], [], ""
    details = []
    if approval.comment:
        details += html_paragraphs(approval.comment_html, st["italic_center"]) or [
            _para(approval.comment, st["italic_center"])
        ]
    day = timezone.localtime(approval.created_at).date()
    details.append(_para(f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}", st["italic_center"]))
    behalf = []
    if title := SIGNING_TITLES.get(approval.actor_role):  # a role code, cells.models.Membership.Role
        behalf.append(_para("T/M CHI BỘ", st["center_bold"]))
        behalf.append(_para(title, st["center_bold"]))
    return details, behalf, approval.actor.full_name


def pledge_pdf(pledge: Pledge) -> bytes:
    """`pledge` must carry `answer_list` (see selectors.pledge_with_answers). The paper is a
    Vietnamese Party document whatever the reader's UI language (the rating labels too)."""
    with translation.override("vi"):
        return _build(pledge)


def _build(pledge: Pledge) -> bytes:
    corepdf.register_fonts()
    st = corepdf.styles(corepdf.SERIF, 12)
    st["italic_center"] = ParagraphStyle("italic_center", parent=st["italic"], alignment=TA_CENTER)
    buffer = io.BytesIO()
    width, height = corepdf.PORTRAIT
    doc = SimpleDocTemplate(
        buffer,
        pagesize=corepdf.PORTRAIT,
        initialFontName=corepdf.SERIF,  # no unembedded Helvetica declared on any page
        initialFontSize=12,
        leftMargin=25 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,  # the first page's header takes the next 25 mm (a spacer), later pages start here
        bottomMargin=22 * mm,
        title=nfc(f"{pledge.template.title} – {pledge.member.full_name}"),
        author=nfc(pledge.member.full_name),
    )
    furniture = corepdf.page_furniture(f"{pledge.member.full_name} · {pledge.cell.name}", str(pledge.year))
    # The header names the committee right above the cell (Hướng dẫn 36-HD/VPTW), which is not
    # always the committee that set the form (a province's form for every cell under it).
    superior = OrgUnit.objects.filter(path=pledge.cell.path[: -OrgUnit.steplen]).first()

    def first_page(canvas, document):
        corepdf.canvas_party_header(
            canvas,
            superior=superior.name if superior else "",
            unit=pledge.cell.name,
            place_date=_place_and_date(pledge),
            x_left=25 * mm + 38 * mm,
            x_right=width - 20 * mm - 45 * mm,
            top=height - 20 * mm,
            column_width=80 * mm,
            size=11.5,
        )
        furniture(canvas, document)

    story = [
        Spacer(1, 25 * mm),  # room for the header drawn on the first page
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
        story += html_paragraphs(pledge.template.intro_html, st["italic"]) or [
            _para(pledge.template.intro, st["italic"])
        ]
    review = pledge.status in (Pledge.Status.REVIEWED, Pledge.Status.RATED)
    last_section = len(story)
    for index, answer in enumerate(pledge.answer_list, start=1):
        last_section = len(story)
        story.append(_para(f"{index}. {answer.section.title}", st["heading"]))
        story += html_paragraphs(answer.html, st["body"]) or [_para("…", st["body"])]
        if review and answer.review_text:
            story.append(_para("Kết quả thực hiện:", st["italic"]))
            story += html_paragraphs(answer.review_html, st["body"]) or [_para(answer.review_text, st["body"])]
    if pledge.proposed_rating:
        story.append(_para(f"Tự đánh giá, xếp loại: {Rating(pledge.proposed_rating).label}", st["body"]))
    if pledge.rating:
        story.append(_para(f"Chi bộ xếp loại: {Rating(pledge.rating).label}", st["body"]))
        if pledge.rating_comment:
            story += html_paragraphs(pledge.rating_comment_html, st["body"]) or [
                _para(pledge.rating_comment, st["body"])
            ]
    closing = [Spacer(1, 8 * mm)]
    details, behalf, approver = _confirmation(pledge, st)
    signatures = Table(
        [
            [_para("XÁC NHẬN CỦA CHI BỘ", st["center_bold"]), _para("NGƯỜI CAM KẾT", st["center_bold"])],
            [details, ""],
            [behalf, ""],
            [_para("(Ký, ghi rõ họ tên)", st["italic_center"]), _para("(Ký, ghi rõ họ tên)", st["italic_center"])],
            ["", ""],
            [
                _para(approver, st["center_bold"]) if approver else "",
                _para(pledge.member.full_name, st["center_bold"]),
            ],
        ],
        colWidths=[(width - 45 * mm) / 2] * 2,
        rowHeights=[None, None, None, None, 25 * mm, None],
    )
    signatures.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), corepdf.SERIF)])
    )
    # The signatures never start a page alone: they go over together with the last paragraph.
    # (the whole last section if it is short, else its last paragraph).
    keep = len(story) - last_section if len(story) - last_section <= 4 else 1
    tail, story = story[len(story) - keep :], story[: len(story) - keep]
    story.append(KeepTogether([*tail, *closing, signatures]))
    doc.build(story, onFirstPage=first_page, onLaterPages=furniture)
    return buffer.getvalue()
