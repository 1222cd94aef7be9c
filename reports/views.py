"""Thin views: parse input, ask reports.permissions, call reports.selectors, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cells import selectors as cells_selectors
from cells.models import OrgUnit
from core.errors import user_message
from core.filenames import content_disposition, fold_ascii
from core.idempotency import posted_key
from pledges.models import Pledge
from reports import exports, pdf, permissions, selectors, tables
from reports.services import remind_missing

SORTS = ("name", "missing")
APPROVED = {Pledge.Status.APPROVED, Pledge.Status.REVIEWED, Pledge.Status.RATED}  # in the approved ZIP


@login_required
def start(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    unit = permissions.report_start_unit(request.user, roles)
    if unit is None:
        raise PermissionDenied
    year = request.GET.get("year", "").strip()
    query = f"?year={year}" if year.isascii() and year.isdigit() and len(year) <= 4 else ""
    return redirect(reverse("reports:unit", args=[unit.pk]) + query)


def _year(
    request: HttpRequest, unit: OrgUnit, report: bool = True, sources: selectors.CellSources | None = None
) -> tuple[int, list[int]]:
    """The year asked for, or the default with a message when it is malformed or out of range.
    A cell's years are those of its `sources` (which its overview reads too)."""
    years = selectors.years_for(unit) if sources is None else sources.years
    raw = request.GET.get("year", "").strip()
    if raw:
        year = selectors.parse_year(raw)
        if year is not None:
            return year, years
        low, high = selectors.year_bounds()
        if report:
            messages.error(
                request,
                _("The year must be a number from %(low)s to %(high)s; showing %(year)s instead.")
                % {"low": low, "high": high, "year": selectors.default_year(years)},
            )
    return selectors.default_year(years), years


def _breadcrumbs(request: HttpRequest, unit: OrgUnit, roles) -> list[OrgUnit]:
    """Units above this one whose report the user may open: an officer's stop at their top."""
    return [
        a
        for a in cells_selectors.unit_ancestors(unit)
        if permissions.can_view_report(request.user, a, roles) and a.pk != unit.pk
    ]


def _cell_filters(request: HttpRequest, overview: selectors.CellOverview) -> tuple[str, str]:
    """The "who still needs to …" item and the sort order; unknown values are dropped with a message."""
    keys = {key for key, _label in overview.items}
    need = request.GET.get("need", "").strip()
    if need and need not in keys:
        messages.warning(request, _("That filter is not known for this year; showing every member."))
        need = ""
    sort = request.GET.get("sort", "").strip() or "name"
    if sort not in SORTS:
        messages.warning(request, _("That sort order is not known; sorted by name."))
        sort = "name"
    return need, sort


def _filtered_lines(overview: selectors.CellOverview, need: str, sort: str) -> list[selectors.MemberLine]:
    lines = [line for line in overview.lines if not need or need in line.missing]
    if sort == "missing":
        lines.sort(key=lambda line: -len(line.missing))  # stable: names stay in order within a count
    return lines


@login_required
def unit_report(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    unit = permissions.get_report_unit_or_404(request.user, pk, roles)
    sources = selectors.cell_sources(unit) if unit.is_cell else None  # the years and the overview read them
    year, years = _year(request, unit, sources=sources)
    context = {"unit": unit, "year": year, "years": years, "ancestors": _breadcrumbs(request, unit, roles)}
    if unit.is_cell:
        overview = selectors.cell_overview(unit, year, sources)
        need, sort = _cell_filters(request, overview)
        context.update(
            overview=overview,
            lines=_filtered_lines(overview, need, sort),
            need=need,
            sort=sort,
            can_remind=permissions.can_remind_from_report(request.user, unit, roles),
            need_choices=_need_choices(overview),
            # A link to each pledge its reader may open (handed in, or their own).
            pledge_links={
                line.pledge.pk
                for line in overview.lines
                if line.pledge is not None and permissions.can_view_pledge(request.user, line.pledge, roles)
            },
            certificates=sum(column.certificates for column in overview.modules),
            approved=sum(line.pledge_state in APPROVED for line in overview.lines),
        )
        return render(request, "reports/cell.html", context)
    number = tables.parse_page(request.GET.get("page", ""))
    if number is None:
        messages.warning(request, _("That page number is not valid; showing the first page."))
        number = 1
    context["table_html"], context["page"] = tables.committee_table_html(unit, year, number)
    return render(request, "reports/committee.html", context)


def _need_choices(overview: selectors.CellOverview) -> list[tuple[str, str]]:
    out = []
    for column in overview.themes:
        out.append((column.key, _("take part in “%(title)s”") % {"title": column.theme.title}))
    for column in overview.modules:
        out.append((column.key, _("finish “%(title)s”") % {"title": column.module.title}))
    if overview.pledge_template is not None:
        out.append(("pledge", _("hand in the pledge")))
    return out


def _table(request: HttpRequest, pk: int) -> tuple[OrgUnit, int, exports.Table]:
    roles = permissions.roles_for_request(request)
    unit = permissions.get_report_unit_or_404(request.user, pk, roles)
    if unit.is_cell:
        sources = selectors.cell_sources(unit)
        year, _years = _year(request, unit, report=False, sources=sources)
        return unit, year, exports.cell_table(selectors.cell_overview(unit, year, sources))
    year, _years = _year(request, unit, report=False)
    return unit, year, exports.committee_table(selectors.committee_report(unit, year))


@login_required
def unit_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The table as CSV, streamed: the first rows leave before the last are written."""
    return exports.csv_export(*_table(request, pk))


@login_required
def unit_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The table as a workbook, one sheet per group of columns (themes, modules, pledges)."""
    return exports.xlsx_export(*_table(request, pk))


@login_required
def unit_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The cell's overview, printable for the cell meeting (cells only)."""
    roles = permissions.roles_for_request(request)
    unit = permissions.get_report_unit_or_404(request.user, pk, roles)
    if not unit.is_cell:
        raise Http404
    sources = selectors.cell_sources(unit)
    year, _years = _year(request, unit, report=False, sources=sources)
    overview = selectors.cell_overview(unit, year, sources)
    response = HttpResponse(pdf.cell_overview_pdf(overview), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"tong-quan-{fold_ascii(unit.name) or unit.pk}-{year}.pdf")
    return response


@login_required
@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    unit = permissions.get_report_unit_or_404(request.user, pk, roles)
    permissions.require(permissions.can_remind_from_report(request.user, unit, roles))
    sources = selectors.cell_sources(unit)
    year, _years = _year(request, unit, report=False, sources=sources)
    year = selectors.parse_year(request.POST.get("year", "")) or year
    overview = selectors.cell_overview(unit, year, sources)
    try:
        count = remind_missing(
            actor=request.user, overview=overview, item=request.POST.get("item", ""), client_key=posted_key(request)
        )
    except ValidationError as error:  # a ServiceError: nothing to remind about, or a round less than an hour ago
        messages.error(request, user_message(error))
    else:
        messages.success(request, _("A reminder was sent to %(n)s members.") % {"n": count})
    return redirect(reverse("reports:unit", args=[unit.pk]) + f"?year={year}")
