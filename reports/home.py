from django.utils.translation import gettext as _

from core.links import reverse_cached
from reports import permissions

HOME_CHILDREN = 10


def nav_links(request, roles) -> list[tuple[str, str]]:
    if permissions.can_open_reports(request.user, roles):
        return [(_("Reports"), reverse_cached("reports:start"))]
    return []


def home_section(request, roles) -> dict | None:
    """A leader gets a link to the cell's overview; an officer the headline figures of their node."""
    from reports import selectors

    if roles.officer_paths:
        unit = permissions.report_start_unit(request.user, roles)
        if unit is None:
            return None
        year = selectors.default_year(selectors.years_for(unit))
        if unit.is_cell:  # an officer over a single cell: its overview is the report
            return {"template": "reports/_home_section.html", "unit": unit, "total": None}
        report = selectors.committee_report(unit, year)
        # The node's totals and its direct children only (at most HOME_CHILDREN): the cost of
        # the officer's home does not grow with what is below them.
        return {
            "template": "reports/_home_section.html",
            "unit": unit,
            "year": year,
            "total": report.total,
            "children": report.rows[:HOME_CHILDREN],
            "more": max(0, len(report.rows) - HOME_CHILDREN),
        }
    if roles.membership is not None and roles.membership.is_leader:
        return {"template": "reports/_home_section.html", "unit": roles.membership.cell, "total": None}
    return None
