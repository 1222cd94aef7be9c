"""CSV exports of the two tables, through core.csvutil (UTF-8 with BOM, formula-safe)."""

from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.csvutil import csv_response
from core.filenames import fold_ascii
from reports import labels
from reports.selectors import CellOverview, CommitteeReport


def _name(unit, year: int) -> str:
    return f"bao-cao-{fold_ascii(unit.name) or unit.pk}-{year}.csv"


def cell_csv(overview: CellOverview) -> HttpResponse:
    header = [_("Member"), _("Role"), _("Membership")]
    for column in overview.themes:
        header.append(_("Theme: %(title)s") % {"title": column.theme.title})
    for column in overview.modules:
        title = column.module.title
        header += [
            _("%(title)s: lessons read") % {"title": title},
            _("%(title)s: passed") % {"title": title},
            _("%(title)s: certificate") % {"title": title},
        ]
    if overview.pledge_template is not None:
        header += [_("Pledge"), _("Rating")]
    rows = []
    for line in overview.lines:
        row = [line.membership.user.full_name, line.membership.get_role_display(), _("Active")]
        row += [labels.attendance(value) for value in line.themes]
        for item in line.modules:
            row += [
                f"{item.lessons_read}/{item.lesson_total}",
                _("Yes") if item.passed else _("No"),
                item.certificate.serial if item.certificate else "",
            ]
        if overview.pledge_template is not None:
            row += [labels.pledge_state(line.pledge_state), labels.rating(line.pledge_rating)]
        rows.append(row)
    for membership in overview.former:
        ended = _("Ended %(date)s") % {"date": membership.ended_on.strftime("%d/%m/%Y")}
        rows.append([membership.user.full_name, membership.get_role_display(), ended])
    return csv_response(_name(overview.cell, overview.year), header, rows)


def committee_csv(report: CommitteeReport) -> HttpResponse:
    header = [_("Unit"), _("Cells"), _("Members")]
    for theme in report.themes:
        header += [
            _("%(title)s: cells that held it") % {"title": theme.title},
            _("%(title)s: cells it reaches") % {"title": theme.title},
            _("%(title)s: cells past the deadline") % {"title": theme.title},
        ]
    for module in report.modules:
        header += [
            _("%(title)s: members who completed it") % {"title": module.title},
            _("%(title)s: members who study it") % {"title": module.title},
        ]
    header += [_("Pledges submitted"), _("Pledges approved"), _("Pledges rated")]
    header += [labels.rating(value) for value in labels.Rating.values]

    def line(row, name: str) -> list:
        out = [name, row.cells, row.members]
        for figure in row.themes:
            out += [figure.held.part, figure.held.whole, figure.past_deadline]
        for share in row.modules:
            out += [share.part, share.whole]
        out += [row.pledges.submitted, row.pledges.approved, row.pledges.rated]
        out += [row.pledges.ratings[value] for value in labels.Rating.values]
        return out

    rows = [line(row, row.unit.name) for row in report.rows]
    rows.append(line(report.total, _("Total")))
    return csv_response(_name(report.unit, report.year), header, rows)
