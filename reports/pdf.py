"""A printable PDF of a cell's overview for the cell meeting, through core.pdf's furniture:
A4 landscape, the Party heading, one table (members x themes, modules, pledge), a counts
row, a legend of the themes and modules, and who moved or ended this year."""

import html
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from core.pdf import SANS_BOLD, nfc, page_furniture, styles
from reports import labels
from reports.selectors import ABSENT, TOOK_PART, CellOverview


def _p(text: object, style) -> Paragraph:
    return Paragraph(html.escape(nfc(text), quote=False), style)


def _theme_mark(value: str) -> str:
    if value == TOOK_PART:
        return "✓"
    return labels.attendance(value) if value == ABSENT else "–"


def cell_overview_pdf(overview: CellOverview) -> bytes:
    s = styles(size=9)
    small = s["small"]
    story = [
        _p("ĐẢNG CỘNG SẢN VIỆT NAM", s["center_bold"]),
        _p(overview.cell.name.upper(), s["center"]),
        Spacer(1, 4 * mm),
        _p(_("Cell overview") + f" · {overview.year}", s["title"]),
    ]
    header = [_p(_("Member"), small)]
    header += [_p(f"{_('Theme')} {n}", small) for n in range(1, len(overview.themes) + 1)]
    header += [_p(f"{_('Module')} {n}", small) for n in range(1, len(overview.modules) + 1)]
    if overview.pledge_template is not None:
        header.append(_p(_("Pledge"), small))
    rows = [header]
    for line in overview.lines:
        row = [_p(line.membership.user.full_name, small)]
        row += [_p(_theme_mark(value), small) for value in line.themes]
        for item in line.modules:
            text = f"{item.lessons_read}/{item.lesson_total}" + (" ✓" if item.completed else "")
            row.append(_p(text, small))
        if overview.pledge_template is not None:
            text = labels.pledge_state(line.pledge_state)
            if line.pledge_rating:
                text += " · " + labels.rating(line.pledge_rating)
            row.append(_p(text, small))
        rows.append(row)
    n = len(overview.lines)
    counts = [_p(ngettext("%(n)s member", "%(n)s members", n) % {"n": n}, small)]
    counts += [_p(str(column.took_part), small) for column in overview.themes]
    counts += [_p(str(column.completed), small) for column in overview.modules]
    if overview.pledge_template is not None:
        counts.append(_p(_("%(n)s handed in") % {"n": overview.pledges_handed_in}, small))
    rows.append(counts)
    page_width = landscape(A4)[0] - 30 * mm
    first = 55 * mm
    others = len(header) - 1
    widths = [first] + [(page_width - first) / others] * others if others else [page_width]
    table = LongTable(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1ece4")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f1ece4")),
                ("FONTNAME", (0, -1), (-1, -1), SANS_BOLD),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 4 * mm)]
    for n, column in enumerate(overview.themes, start=1):
        state = labels.session_state(column.state)
        story.append(_p(f"{_('Theme')} {n}: {column.theme.title} ({state})", small))
    for n, column in enumerate(overview.modules, start=1):
        story.append(_p(f"{_('Module')} {n}: {column.module.title}", small))
    if overview.former:
        story.append(_p(_("Moved or ended this year"), s["heading"]))
        for m in overview.former:
            story.append(_p(f"{m.user.full_name} · {m.ended_on:%d/%m/%Y} · {m.end_reason}", small))
    buffer = io.BytesIO()
    made = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=20 * mm,
        title=nfc(f"{overview.cell.name} {overview.year}"),
    )
    furniture = page_furniture(f"{overview.cell.name} · {overview.year}", made)
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()
