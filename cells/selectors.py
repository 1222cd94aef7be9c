"""Reads of the organisation that depend on who is asking. Query counts stay flat."""

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from accounts.models import NameChange, User
from cells.models import Membership, MembershipEvent, OrgUnit
from cells.permissions import Roles, ancestor_paths, can_view_cell, units_overseen


def cell_members(cell: OrgUnit) -> QuerySet[Membership]:
    """The cell's active members, leaders first, then by name."""
    order = {Membership.Role.SECRETARY: 0, Membership.Role.DEPUTY: 1, Membership.Role.MEMBER: 2}
    return (
        Membership.objects.filter(cell=cell, ended_on__isnull=True)
        .select_related("user")
        .annotate(
            role_rank=Case(
                *(When(role=role, then=Value(rank)) for role, rank in order.items()),
                output_field=IntegerField(),
            )
        )
        .order_by("role_rank", "user__sort_name")
    )


def cell_past_members(cell: OrgUnit) -> QuerySet[Membership]:
    return Membership.objects.filter(cell=cell, ended_on__isnull=False).select_related("user").order_by("-ended_on")


def membership_history(membership: Membership, user, roles: Roles) -> list[MembershipEvent]:
    """The person's membership events in the cells this user may see: what happens to a
    member after they move on is the new cell's business, not the old secretary's."""
    events = MembershipEvent.objects.filter(membership__user_id=membership.user_id).select_related(
        "actor", "membership__cell"
    )
    return [event for event in events if can_view_cell(user, event.membership.cell, roles)]


def name_changes(user: User) -> list[NameChange]:
    """The audit of the person's name, for those who may manage their membership."""
    return list(NameChange.objects.filter(user=user).select_related("actor"))


@dataclass
class TreeRow:
    unit: OrgUnit
    depth: int  # relative to the top of what the user sees, for indentation
    members: int  # active members in this unit's whole subtree
    cells: int  # cells in this unit's whole subtree


def unit_tree(user, roles: Roles, root: OrgUnit | None = None) -> list[TreeRow]:
    """The units the user oversees (or `root`'s subtree), in tree order, with subtree counts.

    Two queries whatever the size: the nodes, and member counts grouped by cell. Subtree
    sums are then folded in one pass over the sorted paths.
    """
    units = units_overseen(user, roles)
    if root is not None:
        units = units.filter(path__startswith=root.path)
    nodes = list(units.order_by("path"))
    if not nodes:
        return []
    counts = dict(
        Membership.objects.filter(ended_on__isnull=True, cell__in=[n.pk for n in nodes if n.is_cell])
        .values_list("cell_id")
        .annotate(n=Count("id"))
        .values_list("cell_id", "n")
    )
    top = min(n.depth for n in nodes)
    rows = [TreeRow(unit=n, depth=n.depth - top, members=0, cells=0) for n in nodes]
    # Paths are sorted, so each node's descendants follow it directly: a stack of open
    # ancestors lets every cell add its count to all of them.
    stack: list[TreeRow] = []
    for row in rows:
        while stack and not row.unit.path.startswith(stack[-1].unit.path):
            stack.pop()
        if row.unit.is_cell:
            row.members = counts.get(row.unit.pk, 0)
            row.cells = 1
            for ancestor in stack:
                ancestor.members += row.members
                ancestor.cells += 1
        stack.append(row)
    return rows


def overseen_tops(roles: Roles, limit: int = 20) -> list[OrgUnit]:
    """The units an officer was given (a site admin: the top level), not what is below them:
    the home page's list, one small query whatever the size of the subtrees."""
    if roles.is_superuser and not roles.officer_paths:
        return list(OrgUnit.objects.filter(depth=1).order_by("path")[:limit])
    return list(OrgUnit.objects.filter(path__in=roles.officer_paths).order_by("path")[:limit])


def cell_counts(cell: OrgUnit) -> dict[str, int]:
    return Membership.objects.filter(cell=cell, ended_on__isnull=True).aggregate(
        total=Count("id"),
        official=Count("id", filter=Q(status=Membership.Status.OFFICIAL)),
        probationary=Count("id", filter=Q(status=Membership.Status.PROBATIONARY)),
    )


def unit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """Breadcrumbs: one query on the path prefixes, no walk."""
    return list(OrgUnit.objects.filter(path__in=ancestor_paths(unit.path)[:-1]).order_by("path"))


def place_of(unit: OrgUnit | None) -> str:
    """The place name a document issued by `unit` prints on its date line: the unit's own, or
    that of the nearest unit above it that has one; "" when none has (the date line then
    prints a dotted blank). One query on the path prefixes, the unit's own row included (read
    as it is now, not as `unit` was loaded)."""
    if unit is None:
        return ""
    found = (
        OrgUnit.objects.filter(path__in=ancestor_paths(unit.path))
        .exclude(place="")
        .order_by("-depth")
        .values_list("place", flat=True)
        .first()
    )
    return found or ""


# --- Roll-ups by child (read by the reports app) ---------------------------------------------
# A committee's report has one row per direct child. Every figure is one GROUP BY on the first
# `len(unit.path) + steplen` characters of a cell's path: the child the row belongs to.


def in_subtree(path: str, field: str = "path") -> Q:
    """Rows whose `field` (a unit's path) starts with `path`, written so the path index is used:
    Django's startswith is a LIKE with ESCAPE, which SQLite never answers from an index, so a
    range on the same column (every path is digits and capitals, all <= "Z") comes with it."""
    top = path + "Z" * (OrgUnit._meta.get_field("path").max_length - len(path))
    return Q(**{f"{field}__gte": path, f"{field}__lte": top, f"{field}__startswith": path})


def child_prefix_length(unit: OrgUnit) -> int:
    return len(unit.path) + OrgUnit.steplen


def children_of(unit: OrgUnit) -> list[OrgUnit]:
    """The unit's direct children (committees and cells), in tree order. One query."""
    return list(OrgUnit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1).order_by("path"))


def cells_by_child(unit: OrgUnit, within: dict[str, str] | None = None) -> dict[str, dict[str, int]]:
    """{child path: {"cells": n, key: cells under `within[key]` (a path prefix)}}. One query."""
    from django.db.models.functions import Substr

    extra = {key: Count("id", filter=Q(path__startswith=prefix)) for key, prefix in (within or {}).items()}
    rows = (
        OrgUnit.objects.filter(in_subtree(unit.path), kind=OrgUnit.Kind.CELL)
        .annotate(child=Substr("path", 1, child_prefix_length(unit)))
        .order_by()
        .values("child")
        .annotate(cells=Count("id"), **extra)
    )
    return {row.pop("child"): row for row in rows}


def member_tallies(unit_ids: list[int]) -> dict[int, int]:
    """{unit id: active members in cells under it}, from the counters cells.services keeps
    (MemberTally). One query."""
    from cells.models import MemberTally

    return dict(MemberTally.objects.filter(unit_id__in=unit_ids).values_list("unit_id", "members"))


def cell_roster(cell: OrgUnit, since, until) -> tuple[list[Membership], list[Membership]]:
    """The cell's active members, and its memberships that ended (or moved away) from `since`
    to `until`, both included; each list by name. One query."""
    rows = list(
        Membership.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=since, ended_on__lte=until), cell=cell)
        .select_related("user")
        .order_by("user__sort_name", "pk")
    )
    return [m for m in rows if m.ended_on is None], [m for m in rows if m.ended_on is not None]
