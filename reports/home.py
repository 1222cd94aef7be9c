from django.utils.translation import gettext as _

from core.links import reverse_cached
from reports import permissions


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
        return {
            "template": "reports/_home_section.html",
            "unit": unit,
            "year": year,
            "total": selectors.headline(unit, year),
        }
    if roles.membership is not None and roles.membership.is_leader:
        return {"template": "reports/_home_section.html", "unit": roles.membership.cell, "total": None}
    return None
