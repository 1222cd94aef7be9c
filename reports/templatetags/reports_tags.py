from django import template
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.links import reverse_cached, url_pattern
from reports import labels

register = template.Library()


@register.simple_tag
def bar(share) -> str:
    """A share as a small bar drawn on the server (SVG, no script, no style attribute) followed
    by its text: "37% (12/32)". The bar is decoration; the text is what is read out."""
    percent, part, whole = int(share.percent), int(share.part), int(share.whole)  # numbers only: nothing to escape
    return mark_safe(
        '<span class="bar-figure"><svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true"'
        ' focusable="false"><rect class="bar-bg" width="100" height="8"></rect>'
        f'<rect class="bar-fill" width="{percent}" height="8"></rect></svg>'
        f" <span>{percent}% ({part}/{whole})</span></span>"
    )


@register.simple_tag
def committee_row(row, name: str, year: int, link: bool = True) -> str:
    """One row of a committee's table, built in Python: a district's table has a hundred rows
    of a dozen figures each, and the template language costs several times more per figure
    (the page has no cache: its figures are read fresh from the counters on each request)."""
    if link:
        url = reverse_cached("reports:unit", row.unit.pk)
        head = format_html('<tr>\n  <th scope="row"><a href="{}?year={}">{}</a></th>', url, year, name)
    else:
        head = format_html('<tr class="counts-row">\n  <th scope="row">{}</th>', name)
    meetings = str(row.meetings)
    if row.cells:
        per_cell = _("%(n)s per cell") % {"n": row.meetings_per_cell}
        meetings = format_html('{}<br><span class="hint">{}</span>', row.meetings, per_cell)
    parts = [
        head,
        format_html('\n  <td class="num">{}</td><td class="num">{}</td>', row.cells, row.members),
        format_html('\n  <td class="num">{}</td>\n  ', meetings),
    ]
    for figure in row.themes:
        extra = ""
        if figure.open:
            extra = format_html('<br><span class="hint">{}</span>', _("%(n)s under discussion") % {"n": figure.open})
        if figure.past_deadline:
            n = figure.past_deadline
            late = ngettext("%(n)s cell past the deadline", "%(n)s cells past the deadline", n) % {"n": n}
            extra = format_html('{}<br><span class="tag overdue">{}</span>', extra, late)
        parts.append(format_html("<td>{}{}</td>", bar(figure.held), extra))
    parts.append("\n  ")
    parts += [format_html("<td>{}</td>", bar(share)) for share in row.modules]
    pledges = row.pledges
    overdue = format_html('<span class="tag overdue">{}</span>', pledges.overdue) if pledges.overdue else "0"
    parts.append(
        format_html(
            '\n  <td class="num">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>',
            overdue,
            bar(pledges.started_share),
            bar(pledges.submitted_share),
            bar(pledges.approved_share),
            bar(pledges.rated_share),
        )
    )
    spread = format_html_join(
        mark_safe("<br>"),
        '<span class="rating-{}">{}: {}</span>',
        ((value, label, n) for value, label, n, _share in pledges.spread),
    )
    parts.append(format_html('\n  <td class="rating-spread">{}</td>\n</tr>', spread))
    return mark_safe("".join(parts))


@register.simple_tag
def member_rows(lines, pledge_links, with_pledge) -> str:
    """The members' rows of a cell's overview, built in Python like `committee_row`: fifty
    members of half a dozen columns each cost the template language several times more. The
    words are looked up and escaped once for all rows, each label once per value, and each
    link's URL is formatted from one reversed pattern; only the names are escaped per row."""
    words = {
        key: escape(text)
        for key, text in (
            ("lessons", _("Lessons")),
            ("attempts", _("Attempts")),
            ("best", _("best")),
            ("passed", _("Passed")),
            ("not_passed", _("Not passed")),
            ("certificate", _("Certificate")),
            ("overdue", _("Overdue")),
        )
    }
    # The patterns come from reverse() and hold only digits where the id goes; escaped anyway.
    urls = {"pledge": escape(url_pattern("pledges:detail")), "certificate": escape(url_pattern("courses:certificate"))}
    attendance, pledge_state, rating, role = {}, {}, {}, {}  # markup per value, made once
    rows = []
    for line in lines:
        membership = line.membership
        leader = ""
        if membership.is_leader:
            if membership.role not in role:
                role[membership.role] = f' <span class="hint">({escape(membership.get_role_display())})</span>'
            leader = role[membership.role]
        parts = [f'<tr><th scope="row">{escape(membership.user.full_name)}{leader}</th>\n    ']
        for value in line.themes:
            if value not in attendance:
                attendance[value] = format_html('<td class="att-{}">{}</td>', value, labels.attendance(value))
            parts.append(attendance[value])
        parts += [_module_cell(item, words, urls) for item in line.modules]
        if with_pledge:
            value = line.pledge_state
            if value not in pledge_state:
                pledge_state[value] = format_html(
                    '<span class="pledge-status status-{}">{}</span>', value, labels.pledge_state(value)
                )
            state = pledge_state[value]
            if line.pledge is not None and line.pledge.pk in pledge_links:
                state = f'<a href="{urls["pledge"].format(int(line.pledge.pk))}">{state}</a>'
            if line.pledge_overdue:
                state = f'{state} <span class="tag overdue">{words["overdue"]}</span>'
            if line.pledge_rating:
                if line.pledge_rating not in rating:
                    rating[line.pledge_rating] = escape(labels.rating(line.pledge_rating))
                state = f"{state}<br>{rating[line.pledge_rating]}"
            parts.append(f"<td>{state}</td>")
        parts.append("\n  </tr>\n  ")
        rows.append("".join(parts))
    return mark_safe("".join(rows))


def _module_cell(item, words: dict[str, str], urls: dict[str, str]) -> str:
    state = "done" if item.completed else "partial" if item.lessons_read or item.attempts else ""
    text = f"{words['lessons']}: {int(item.lessons_read)}/{int(item.lesson_total)}<br>"
    if item.attempts:
        score = f" · {words['best']} {int(item.best_score)}%" if item.best_score is not None else ""
        text += f"{words['attempts']}: {int(item.attempts)}{score}<br>"
    text += f"✓ {words['passed']}" if item.passed else f"– {words['not_passed']}"
    if item.certificate:
        url = urls["certificate"].format(int(item.certificate.pk))
        text += f'<br><a href="{url}">{words["certificate"]} {escape(item.certificate.serial)}</a>'
    return f'<td class="{state}">{text}</td>'


register.filter("attendance", labels.attendance)
register.filter("session_state", labels.session_state)
register.filter("pledge_state", labels.pledge_state)
register.filter("rating_label", labels.rating)
