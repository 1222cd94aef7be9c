"""Who may see or do what with pledges, built on the shared role rules of `cells.permissions`.

A member sees and edits their own pledge. Once a pledge has been submitted (even if later
returned), the cell's secretary and deputy may read and review it, and committee officers
above the cell may read it; a draft never handed in stays the member's own.

Pledges' views, selectors, services and home ask this module only; it re-exports the shared
primitives they need (`roles_for_request`, `require`, ...).
"""

from django.http import Http404

from cells.models import Membership, OrgUnit
from cells.permissions import (
    Roles,
    ancestor_paths,
    can_oversee_cell,
    can_view_unit,
    get_unit_or_404,
    is_cell_leader,
    oversees_any_unit,
    oversees_committee,
    require,
    resolve_roles,
    roles_for_request,
    roles_of,
    units_overseen,
)
from pledges.models import Pledge, PledgeTemplate

__all__ = [
    "Roles",
    "ancestor_paths",
    "can_author_pledge_templates",
    "can_edit_pledge",
    "can_manage_pledge_templates",
    "can_remind_pledges",
    "can_reopen_pledge",
    "can_review_pledge",
    "can_review_pledges",
    "can_track_pledges",
    "can_view_pledge",
    "can_view_unit",
    "get_pledge_or_404",
    "get_pledge_template_or_404",
    "get_unit_or_404",
    "require",
    "roles_for_request",
    "roles_of",
    "units_overseen",
]


def can_view_pledge(user, pledge, roles: Roles | None = None) -> bool:
    if user is not None and pledge.member_id == user.pk:
        return True
    if pledge.submitted_at is None:
        return False
    return can_oversee_cell(user, pledge.cell, roles)


def can_edit_pledge(user, pledge, roles: Roles | None = None) -> bool:
    """Write the pledge's answers and year-end self-review: only its member."""
    return user is not None and pledge.member_id == user.pk


def can_review_pledge(user, pledge, roles: Roles | None = None) -> bool:
    """Approve, return and rate: the leaders of the pledge's cell, never on their own pledge."""
    return pledge.member_id != user.pk and is_cell_leader(user, pledge.cell, roles)


def can_reopen_pledge(user, pledge, roles: Roles | None = None) -> bool:
    """Reopen an approved pledge: the cell's secretary only (not the deputy), not their own."""
    r = resolve_roles(user, roles)
    return (
        pledge.member_id != user.pk
        and r.cell_id == pledge.cell_id
        and r.membership is not None
        and r.membership.role == Membership.Role.SECRETARY
    )


# The cell's pledge table (states only, no text): its leaders, officers above, admins.
can_track_pledges = can_oversee_cell


def can_remind_pledges(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    return is_cell_leader(user, cell, roles)


# Write templates for a committee's subtree: officers over it (or site admins).
can_manage_pledge_templates = oversees_committee


def can_review_pledges(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """The cell's review queue (pledges waiting for a decision or a rating): its leaders."""
    return is_cell_leader(user, cell, roles)


def can_author_pledge_templates(user, unit: OrgUnit | None = None, roles: Roles | None = None) -> bool:
    """Open the templates pages at all (unit None: an officer anywhere, or a site admin), or
    write a template for this committee (see can_manage_pledge_templates)."""
    if unit is not None:
        return can_manage_pledge_templates(user, unit, roles)
    return oversees_any_unit(user, roles)


def get_pledge_template_or_404(user, pk: int, roles: Roles | None = None) -> PledgeTemplate:
    """A template is seen only by those who may write it (officers over its committee)."""
    template = PledgeTemplate.objects.select_related("unit").filter(pk=pk).first()
    if template is None or not can_manage_pledge_templates(user, template.unit, roles):
        raise Http404
    return template


def get_pledge_or_404(user, pk: int, roles: Roles | None = None) -> Pledge:
    pledge = Pledge.objects.select_related("member", "cell", "template").filter(pk=pk).first()
    if pledge is None or not can_view_pledge(user, pledge, roles):
        raise Http404
    return pledge
