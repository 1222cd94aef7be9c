"""Who someone is in the organisation, the shared role rules, and the organisation's own access.

Each app decides its own access in its `permissions` module (courses, pledges, forum,
reports), built on what is here: `Roles`, `ancestor_paths`, `units_overseen` and the shared
role rules (`oversees_unit`, `oversees_committee`, `oversees_any_unit`, `can_oversee_cell`,
`leads_or_oversees_any`), which a feature names rather than copies. Views, consumers,
selectors and exports ask those predicates; nothing re-derives access on its own. This
module imports no feature app (core/tests/test_layering.py).

A membership ended a moment ago is already gone from the next request or WebSocket event:
`roles_of` reads the database on every call, and the per-request roles (`roles_for_request`)
and a cell's active members (checked by sockets on every event) are cached under generations
that every change to a membership, committee role, user or unit replaces, at once and when
it commits (`cells.signals`, `core.cache`).

Conventions: an object the user may not see answers 404 (`get_*_or_404` here raise
Http404); a visible object on which the action is forbidden answers 403 (`require`).
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from cells.models import CommitteeRole, Membership, OrgUnit
from core.cache import versioned


@dataclass(frozen=True)
class Roles:
    """What one user is, right now: at most one active membership and any committee roles."""

    membership: Membership | None = None
    officer_paths: tuple[str, ...] = field(default_factory=tuple)
    is_superuser: bool = False

    @property
    def cell_id(self) -> int | None:
        return self.membership.cell_id if self.membership else None

    @property
    def is_officer(self) -> bool:
        return bool(self.officer_paths)

    def oversees(self, unit: OrgUnit) -> bool:
        return any(unit.path.startswith(path) for path in self.officer_paths)


def roles_of(user) -> Roles:
    """Two small indexed queries; call once per request or event and pass the result on."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Roles()
    membership = Membership.objects.filter(user=user, ended_on__isnull=True).select_related("cell").first()
    paths = tuple(CommitteeRole.objects.filter(user=user, ended_on__isnull=True).values_list("unit__path", flat=True))
    return Roles(membership=membership, officer_paths=paths, is_superuser=user.is_superuser)


ROLES_TIMEOUT = 300  # seconds; the longest a change made where no bump reaches could linger


def roles_for_request(request) -> Roles:
    """Roles of the request's user: once per request, from the cache across requests.

    The entry is keyed by the user's generation (bumped when their memberships, committee
    roles or account change) and the organisation's (bumped when any unit changes)."""
    cached = getattr(request, "_chibo_roles", None)
    if cached is None:
        user = request.user
        if user is None or not user.is_authenticated:
            cached = Roles()
        else:
            cached = versioned(f"roles:{user.pk}", (f"user:{user.pk}", "org"), lambda: roles_of(user), ROLES_TIMEOUT)
        request._chibo_roles = cached
    return cached


def resolve_roles(user, roles: Roles | None) -> Roles:
    """The roles passed in, or the user's (every predicate takes an optional `roles`)."""
    return roles if roles is not None else roles_of(user)


_roles = resolve_roles


# --- Cells ----------------------------------------------------------------------------------


def is_cell_member(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """An active member (any role) of this very cell: may read its private content."""
    return _roles(user, roles).cell_id == cell.pk


def is_cell_leader(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """The cell's active secretary or deputy secretary."""
    r = _roles(user, roles)
    return r.cell_id == cell.pk and r.membership is not None and r.membership.is_leader


def can_view_cell(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """See the cell's page and member list: its members, officers above it, site admins."""
    r = _roles(user, roles)
    return r.is_superuser or r.cell_id == cell.pk or r.oversees(cell)


def can_manage_members(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """Add, import, change roles and end memberships: the cell's leaders and officers above it."""
    return can_oversee_cell(user, cell, roles)


def can_manage_membership(user, membership: Membership, roles: Roles | None = None) -> bool:
    """Change the role of, end, or re-invite this one membership.

    Officers above the cell and site admins may. A cell leader may, except on their own
    membership (nobody promotes or removes themselves) and, for a deputy, except on the
    secretary's (the deputy answers to the secretary).
    """
    r = _roles(user, roles)
    if r.is_superuser or r.oversees(membership.cell):
        return True
    if not is_cell_leader(user, membership.cell, r) or membership.user_id == user.pk:
        return False
    return not (r.membership.role == Membership.Role.DEPUTY and membership.role == Membership.Role.SECRETARY)


def can_move_members(user, cell: OrgUnit, target: OrgUnit | None = None, roles: Roles | None = None) -> bool:
    """Move a member between cells: an officer over both cells (or a site admin)."""
    r = _roles(user, roles)
    if r.is_superuser:
        return True
    return r.oversees(cell) and (target is None or r.oversees(target))


# --- Committees -----------------------------------------------------------------------------


def can_view_unit(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    if unit.is_cell:
        return can_view_cell(user, unit, roles)
    r = _roles(user, roles)
    return r.is_superuser or r.oversees(unit)


def units_overseen(user, roles: Roles | None = None) -> QuerySet[OrgUnit]:
    """Every unit (committees and cells) in the subtrees the user is an officer over."""
    r = _roles(user, roles)
    if r.is_superuser:
        return OrgUnit.objects.all()
    if not r.officer_paths:
        return OrgUnit.objects.none()
    condition = Q()
    for path in r.officer_paths:
        condition |= Q(path__startswith=path)
    return OrgUnit.objects.filter(condition)


def cells_managed(user, roles: Roles | None = None) -> QuerySet[OrgUnit]:
    """Cells whose members this user may manage (for choosing a target cell)."""
    r = _roles(user, roles)
    cells = units_overseen(user, r).filter(kind=OrgUnit.Kind.CELL)
    if r.membership is not None and r.membership.is_leader:
        cells = cells | OrgUnit.objects.filter(pk=r.cell_id)
    return cells.distinct()


# --- Helpers for views and consumers --------------------------------------------------------


def get_unit_or_404(user, pk: int, roles: Roles | None = None) -> OrgUnit:
    unit = OrgUnit.objects.filter(pk=pk).first()
    if unit is None or not can_view_unit(user, unit, roles):
        raise Http404
    return unit


def can_rename_member(user, membership: Membership, roles: Roles | None = None) -> bool:
    """Change the name on a member's record (the name their certificates carry): whoever may
    manage this active membership (the cell's leaders, not on their own; officers above;
    admins). Never the member themselves."""
    return membership.is_active and can_manage_membership(user, membership, roles)


def can_print_slips(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """Print invitation slips for a cell's members: whoever may manage its members."""
    return can_manage_members(user, cell, roles)


def slip_candidates(user, cell: OrgUnit, roles: Roles | None = None) -> list[Membership]:
    """The cell's active memberships this user may print invitation slips for, in one query
    whatever the cell's size. A slip sets a new password for whoever holds it, so it is a way
    into the account: only for a membership the user may manage (a leader never for
    themselves, a deputy not for the secretary) and, unless the user is a site admin, never
    for an account that can do more than a member (staff, admin or committee officer)."""
    r = _roles(user, roles)
    if not can_print_slips(user, cell, r):
        return []
    rows = (
        Membership.objects.filter(cell=cell, ended_on__isnull=True)
        .select_related("user", "cell")
        .annotate(is_officer=Exists(CommitteeRole.objects.filter(user_id=OuterRef("user_id"), ended_on__isnull=True)))
        .order_by("user__sort_name")
    )
    allowed = []
    for membership in rows:
        if not can_manage_membership(user, membership, r):
            continue
        person = membership.user
        if not r.is_superuser and (person.is_staff or person.is_superuser or membership.is_officer):
            continue
        allowed.append(membership)
    return allowed


def get_membership_or_404(user, pk: int, roles: Roles | None = None) -> Membership:
    membership = Membership.objects.select_related("user", "cell").filter(pk=pk).first()
    if membership is None or not can_view_cell(user, membership.cell, roles):
        raise Http404
    return membership


def require(allowed: bool) -> None:
    """Raise 403 unless allowed. For actions on objects the user can already see."""
    if not allowed:
        raise PermissionDenied


# --- Shared role rules ----------------------------------------------------------------------
# The few rules every feature's permissions.py is built from. A feature names the rule it
# means (courses.permissions.can_view_cell_progress is can_oversee_cell) instead of copying it.

_PATH_STEP = OrgUnit.steplen


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of a unit and every unit above it (treebeard, fixed step)."""
    return [path[:end] for end in range(_PATH_STEP, len(path) + 1, _PATH_STEP)]


def oversees_unit(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    """Officers over the unit (on it or a unit above it) and site admins."""
    r = _roles(user, roles)
    return r.is_superuser or r.oversees(unit)


def oversees_committee(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    """`oversees_unit` for a committee; never a cell (committee-wide pages and writes)."""
    return not unit.is_cell and oversees_unit(user, unit, roles)


def oversees_any_unit(user, roles: Roles | None = None) -> bool:
    """An officer somewhere, or a site admin (no query): who gets the organisation tree and
    the committee-wide tracking and authoring pages."""
    r = _roles(user, roles)
    return r.is_superuser or r.is_officer


def can_oversee_cell(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """Follow a cell (its progress tables, states and counts, never discussion): the cell's
    secretary and deputy, officers above it, site admins."""
    r = _roles(user, roles)
    return r.is_superuser or is_cell_leader(user, cell, r) or r.oversees(cell)


def can_follow_unit(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    """A unit's figures: a cell as `can_oversee_cell`, a committee as `oversees_committee`
    (the reports' rule, and the one the old tracking pages check before they redirect there,
    cells.report_links)."""
    if unit.is_cell:
        return can_oversee_cell(user, unit, roles)
    return oversees_committee(user, unit, roles)


def leads_or_oversees_any(user, roles: Roles | None = None) -> bool:
    """A cell leader, an officer somewhere, or a site admin (no query): who has some cell to
    follow (the progress and report menu links)."""
    r = _roles(user, roles)
    return r.is_superuser or r.is_officer or (r.membership is not None and r.membership.is_leader)


# --- Active members, for sockets ------------------------------------------------------


def membership_holds(user_id: int, cell_id: int) -> bool:
    """One indexed query, from the database: an active membership of an active account in
    this cell (for sockets, before they broadcast typing or presence)."""
    return Membership.objects.filter(
        user_id=user_id, cell_id=cell_id, ended_on__isnull=True, user__is_active=True
    ).exists()


def active_members_and_leaders(cell_id: int) -> tuple[frozenset[int], frozenset[int]]:
    """The cell's active members now (active memberships of active accounts) and, among
    them, its leaders (secretary, deputy), shared by all sockets of a topic that re-check
    access for the same event. From the cache under the cell's generation, which every
    membership saved in or out of the cell (a role changed too), and every change of a
    member account's active flag, replaces (cells.signals): a member who left or was
    deactivated is refused, and a leader demoted is a plain reader, on the next event, with no
    query per event while nothing changed."""

    def load() -> tuple[frozenset[int], frozenset[int]]:
        rows = list(
            Membership.objects.filter(cell_id=cell_id, ended_on__isnull=True, user__is_active=True).values_list(
                "user_id", "role"
            )
        )
        leaders = (Membership.Role.SECRETARY, Membership.Role.DEPUTY)
        return frozenset(u for u, _role in rows), frozenset(u for u, role in rows if role in leaders)

    return versioned(f"cells:active:{cell_id}", (f"cell:{cell_id}",), load, ROLES_TIMEOUT)


def active_member_ids(cell_id: int) -> frozenset[int]:
    """The cell's active members now (see `active_members_and_leaders`)."""
    return active_members_and_leaders(cell_id)[0]
