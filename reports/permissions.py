"""Who may open which report, built on the shared role rules of `cells.permissions`.

A cell's overview (members x themes, modules, pledge): its secretary and deputy, officers
above it, site admins. A committee's report (one row per child, counts only): officers over
it, site admins. Neither ever shows discussion content. Reminders from the overview: the
cell's leaders, through each feature's own reminder service and its throttle.

Reports' views and home ask this module only; it re-exports the shared primitives they need,
and the pledges app's own rule for a link to a pledge (`can_view_pledge`).
"""

from cells.models import OrgUnit
from cells.permissions import (
    Roles,
    can_follow_unit,
    can_oversee_cell,
    get_unit_or_404,
    is_cell_leader,
    leads_or_oversees_any,
    oversees_committee,
    require,
    resolve_roles,
    roles_for_request,
)
from pledges.permissions import can_view_pledge

__all__ = [
    "Roles",
    "can_open_reports",
    "can_remind_from_report",
    "can_view_cell_report",
    "can_view_committee_report",
    "can_view_pledge",
    "can_view_report",
    "get_report_unit_or_404",
    "report_start_unit",
    "require",
    "roles_for_request",
]


# A cell's overview: the people who follow the cell (its leaders, officers above, admins).
can_view_cell_report = can_oversee_cell

# A committee's report: officers over it, site admins.
can_view_committee_report = oversees_committee


# Either, by the kind of unit (cells' rule, which the old tracking pages' redirects share).
can_view_report = can_follow_unit


def can_remind_from_report(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    return cell.is_cell and is_cell_leader(user, cell, roles)


def can_open_reports(user, roles: Roles | None = None) -> bool:
    """Whether /reports/ has somewhere to open for this user (no query): the menu link."""
    return leads_or_oversees_any(user, roles)


def report_start_unit(user, roles: Roles | None = None) -> OrgUnit | None:
    """Where /reports/ opens: an officer's top node (the highest they oversee), a leader's
    cell, the root for a site admin; None for everyone else."""
    r = resolve_roles(user, roles)
    if r.officer_paths:
        return OrgUnit.objects.filter(path=min(r.officer_paths, key=len)).first()
    if r.membership is not None and r.membership.is_leader:
        return r.membership.cell
    if r.is_superuser:
        return OrgUnit.objects.filter(depth=1).order_by("path").first()
    return None


def get_report_unit_or_404(user, pk: int, roles: Roles | None = None) -> OrgUnit:
    """The unit if the user may see its report: 404 when it is unknown or out of reach,
    403 when the user sees the unit but not its report (a plain member on their cell)."""
    unit = get_unit_or_404(user, pk, roles)
    require(can_view_report(user, unit, roles))
    return unit
