"""Exports of the two tables: CSV (core.csvutil: UTF-8 with BOM, formula-safe, streamed) and
XLSX (core.xlsxutil: one sheet per group of columns, openpyxl in write-only mode).

Both are built from the same sheets: each has the same first columns (who or which unit) and
then one group (themes, study modules, pledges). The CSV puts the groups side by side in one
table; the XLSX gives each its own sheet. Rows are made lazily, one at a time, as they are
written.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.csvutil import csv_streaming_response
from core.filenames import fold_ascii
from core.xlsxutil import Sheet, xlsx_response
from reports import labels
from reports.selectors import CellOverview, CommitteeReport


@dataclass
class Table:
    """Rows share their first `key_columns`; each group adds its columns after them."""

    groups: list[tuple[str, list[str]]]  # (sheet title, the group's own headers)
    key_header: list[str]
    rows: list  # the source rows, turned into cells by `cells`
    cells: object  # row -> (key cells, [group cells, …])

    def csv_header(self) -> list[str]:
        return self.key_header + [h for _title, headers in self.groups for h in headers]

    def csv_rows(self) -> Iterator[list]:
        for row in self.rows:
            key, groups = self.cells(row)
            yield key + [value for group in groups for value in group]

    def sheets(self) -> list[Sheet]:
        made = [self.cells(row) for row in self.rows]
        return [
            Sheet(title, self.key_header + headers, [key + groups[i] for key, groups in made])
            for i, (title, headers) in enumerate(self.groups)
        ]


def _name(unit, year: int, ext: str) -> str:
    return f"bao-cao-{fold_ascii(unit.name) or unit.pk}-{year}.{ext}"


# --- A cell's overview ---------------------------------------------------------------------


def cell_table(overview: CellOverview) -> Table:
    theme_headers = [_("Theme: %(title)s") % {"title": c.theme.title} for c in overview.themes]
    module_headers = []
    for column in overview.modules:
        title = column.module.title
        module_headers += [
            _("%(title)s: lessons read") % {"title": title},
            _("%(title)s: lessons in total") % {"title": title},
            _("%(title)s: passed") % {"title": title},
            _("%(title)s: attempts") % {"title": title},
            _("%(title)s: best score (%%)") % {"title": title},
            _("%(title)s: certificate") % {"title": title},
        ]
    has_pledge = overview.pledge_template is not None
    pledge_headers = [_("Pledge"), _("Rating"), _("Overdue")] if has_pledge else []

    def cells(entry):
        kind, item = entry
        if kind == "former":
            ended = _("Ended %(date)s") % {"date": item.ended_on.strftime("%d/%m/%Y")}
            key = [item.user.full_name, item.get_role_display(), ended]
            return key, [[""] * len(theme_headers), [""] * len(module_headers), [""] * len(pledge_headers)]
        key = [item.membership.user.full_name, item.membership.get_role_display(), _("Active")]
        themes = [labels.attendance(value) for value in item.themes]
        modules = []
        for progress in item.modules:
            modules += [
                progress.lessons_read,  # read and total apart: Excel turns "2/4" into a date
                progress.lesson_total,
                _("Yes") if progress.passed else _("No"),
                progress.attempts,
                "" if progress.best_score is None else progress.best_score,
                progress.certificate.serial if progress.certificate else "",
            ]
        pledge = []
        if has_pledge:
            pledge = [
                labels.pledge_state(item.pledge_state),
                labels.rating(item.pledge_rating),
                _("Yes") if item.pledge_overdue else "",
            ]
        return key, [themes, modules, pledge]

    rows = [("line", line) for line in overview.lines] + [("former", m) for m in overview.former]
    return Table(
        [(_("Themes"), theme_headers), (_("Study modules"), module_headers), (_("Pledges"), pledge_headers)],
        [_("Member"), _("Role"), _("Membership")],
        rows,
        cells,
    )


# --- A committee's report ------------------------------------------------------------------


def committee_table(report: CommitteeReport) -> Table:
    theme_headers = []
    for theme in report.themes:
        theme_headers += [
            _("%(title)s: cells that held it") % {"title": theme.title},
            _("%(title)s: cells it reaches") % {"title": theme.title},
            _("%(title)s: cells past the deadline") % {"title": theme.title},
        ]
    module_headers = []
    for module in report.modules:
        module_headers += [
            _("%(title)s: members who completed it") % {"title": module.title},
            _("%(title)s: members who study it") % {"title": module.title},
        ]
    pledge_headers = [_("Pledges overdue"), _("Pledges started")]
    pledge_headers += [_("Pledges submitted"), _("Pledges approved"), _("Pledges rated")]
    pledge_headers += [labels.rating(value) for value in labels.Rating.values]

    def cells(entry):
        name, row = entry
        themes = []
        for figure in row.themes:
            themes += [figure.held.part, figure.held.whole, figure.past_deadline]
        modules = []
        for share in row.modules:
            modules += [share.part, share.whole]
        pledges = [row.pledges.overdue, row.pledges.started]
        pledges += [row.pledges.submitted, row.pledges.approved, row.pledges.rated]
        pledges += [row.pledges.ratings[value] for value in labels.Rating.values]
        return [name, row.cells, row.members], [themes, modules, pledges]

    rows = [(row.unit.name, row) for row in report.rows] + [(_("Total"), report.total)]
    return Table(
        [(_("Themes"), theme_headers), (_("Study modules"), module_headers), (_("Pledges"), pledge_headers)],
        [_("Unit"), _("Cells"), _("Members")],
        rows,
        cells,
    )


# --- Responses -----------------------------------------------------------------------------


def csv_export(unit, year: int, table: Table) -> HttpResponse:
    return csv_streaming_response(_name(unit, year, "csv"), table.csv_header(), table.csv_rows())


def xlsx_export(unit, year: int, table: Table) -> HttpResponse:
    return xlsx_response(_name(unit, year, "xlsx"), table.sheets())
