"""The one place that decides who may see or do what.

Views, consumers, selectors and exports ask these functions; nothing re-derives access on
its own. A membership ended a moment ago is already gone from the next request or
WebSocket event: `roles_of` reads the database on every call, and the per-request roles
(`roles_for_request`) and a cell's active members (checked by sockets on every event) are
cached under generations that every change to a membership, committee role, user or unit
replaces, at once and when it commits (`cells.signals`, `core.cache`).

Conventions: an object the user may not see answers 404 (`get_*_or_404` here raise
Http404); a visible object on which the action is forbidden answers 403 (`require`).
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

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


def _roles(user, roles: Roles | None) -> Roles:
    return roles if roles is not None else roles_of(user)


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
    r = _roles(user, roles)
    return r.is_superuser or is_cell_leader(user, cell, r) or r.oversees(cell)


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


def get_membership_or_404(user, pk: int, roles: Roles | None = None) -> Membership:
    membership = Membership.objects.select_related("user", "cell").filter(pk=pk).first()
    if membership is None or not can_view_cell(user, membership.cell, roles):
        raise Http404
    return membership


def require(allowed: bool) -> None:
    """Raise 403 unless allowed. For actions on objects the user can already see."""
    if not allowed:
        raise PermissionDenied


# --- Courses --------------------------------------------------------------------------------
# A module's audience is a committee (or cell) and everything under it. Members of a cell in
# that subtree study it; officers over the audience author and track it; officers of a unit
# inside the audience see it (and track their own subtree). Everyone else: 404.

_PATH_STEP = OrgUnit.steplen


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of a unit and every unit above it (treebeard, fixed step)."""
    return [path[:end] for end in range(_PATH_STEP, len(path) + 1, _PATH_STEP)]


def modules_visible_q(roles: Roles) -> Q | None:
    """A filter on courses.Module for what these roles may see; None means everything."""
    if roles.is_superuser:
        return None
    condition = Q(pk__in=[])
    if roles.membership is not None:
        now = timezone.now()
        condition |= Q(audience__path__in=ancestor_paths(roles.membership.cell.path), publish_from__lte=now) & (
            Q(publish_until__isnull=True) | Q(publish_until__gte=now)
        )
    for path in roles.officer_paths:
        condition |= Q(audience__path__startswith=path) | Q(audience__path__in=ancestor_paths(path))
    return condition


def can_view_module(user, module, roles: Roles | None = None) -> bool:
    r = _roles(user, roles)
    if r.is_superuser:
        return True
    audience = module.audience.path
    if any(path.startswith(audience) or audience.startswith(path) for path in r.officer_paths):
        return True
    return r.membership is not None and module.is_published and r.membership.cell.path.startswith(audience)


def can_study_module(user, module, roles: Roles | None = None) -> bool:
    """Read lessons as a learner, take the quiz and earn the certificate: members of the audience."""
    r = _roles(user, roles)
    return r.membership is not None and module.is_published and r.membership.cell.path.startswith(module.audience.path)


def can_author_module(user, module, roles: Roles | None = None) -> bool:
    """Edit a module, its lessons and questions: officers over its issuing committee, site admins."""
    r = _roles(user, roles)
    return r.is_superuser or r.oversees(module.issuing_unit)


def can_author_for(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    """Publish a new module to this unit's subtree."""
    r = _roles(user, roles)
    return r.is_superuser or r.oversees(unit)


def can_view_cell_progress(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """The cell's member x module table, reminders and certificate ZIP: its leaders, officers above."""
    r = _roles(user, roles)
    return r.is_superuser or is_cell_leader(user, cell, r) or r.oversees(cell)


def can_view_certificate(user, certificate, roles: Roles | None = None) -> bool:
    """The holder, the leaders of the cell it was issued in, officers over that cell."""
    r = _roles(user, roles)
    if r.is_superuser or certificate.user_id == getattr(user, "pk", None):
        return True
    return is_cell_leader(user, certificate.cell, r) or r.oversees(certificate.cell)


def can_revoke_certificate(user, certificate, roles: Roles | None = None) -> bool:
    """Revoke or reissue: officers over the issuing committee."""
    r = _roles(user, roles)
    return r.is_superuser or r.oversees(certificate.module.issuing_unit)


def can_manage_certificate_signers(user, roles: Roles | None = None) -> bool:
    """Set who signs a committee's certificates and upload the scanned signature and seal:
    site admins only (a signature and seal scan is what a forger wants most)."""
    return _roles(user, roles).is_superuser


def can_view_signer_images(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    """See a committee's scanned signature and seal: site admins and officers over it."""
    r = _roles(user, roles)
    return r.is_superuser or r.oversees(unit)


def can_view_attempt(user, attempt, roles: Roles | None = None) -> bool:
    """An attempt's answers are the member's own."""
    return attempt.user_id == getattr(user, "pk", None)


# --- Pledges --------------------------------------------------------------------------------
# A member sees and edits their own pledge. Once a pledge has been submitted (even if later
# returned), the cell's secretary and deputy may read and review it, and committee officers
# above the cell may read it; a draft never handed in stays the member's own.


def can_view_pledge(user, pledge, roles: Roles | None = None) -> bool:
    r = _roles(user, roles)
    if user is not None and pledge.member_id == user.pk:
        return True
    if pledge.submitted_at is None:
        return False
    return r.is_superuser or is_cell_leader(user, pledge.cell, r) or r.oversees(pledge.cell)


def can_edit_pledge(user, pledge, roles: Roles | None = None) -> bool:
    """Write the pledge's answers and year-end self-review: only its member."""
    return user is not None and pledge.member_id == user.pk


def can_review_pledge(user, pledge, roles: Roles | None = None) -> bool:
    """Approve, return and rate: the leaders of the pledge's cell, never on their own pledge."""
    return pledge.member_id != user.pk and is_cell_leader(user, pledge.cell, roles)


def can_reopen_pledge(user, pledge, roles: Roles | None = None) -> bool:
    """Reopen an approved pledge: the cell's secretary only (not the deputy), not their own."""
    r = _roles(user, roles)
    return (
        pledge.member_id != user.pk
        and r.cell_id == pledge.cell_id
        and r.membership is not None
        and r.membership.role == Membership.Role.SECRETARY
    )


def can_track_pledges(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """The cell's pledge table (states only, no text): its leaders, officers above, admins."""
    r = _roles(user, roles)
    return r.is_superuser or is_cell_leader(user, cell, r) or r.oversees(cell)


def can_remind_pledges(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    return is_cell_leader(user, cell, roles)


def can_manage_pledge_templates(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    """Write templates for a committee's subtree: officers over it (or site admins)."""
    r = _roles(user, roles)
    return not unit.is_cell and (r.is_superuser or r.oversees(unit))


def can_review_pledges(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """The cell's review queue (pledges waiting for a decision or a rating): its leaders."""
    return is_cell_leader(user, cell, roles)


def can_author_pledge_templates(user, unit: OrgUnit | None = None, roles: Roles | None = None) -> bool:
    """Open the templates pages at all (unit None: an officer anywhere, or a site admin), or
    write a template for this committee (see can_manage_pledge_templates)."""
    r = _roles(user, roles)
    if unit is not None:
        return can_manage_pledge_templates(user, unit, r)
    return r.is_superuser or r.is_officer


def get_pledge_template_or_404(user, pk: int, roles: Roles | None = None):
    """A template is seen only by those who may write it (officers over its committee)."""
    from pledges.models import PledgeTemplate  # cells must not import pledges at module load

    template = PledgeTemplate.objects.select_related("unit").filter(pk=pk).first()
    if template is None or not can_manage_pledge_templates(user, template.unit, roles):
        raise Http404
    return template


def get_pledge_or_404(user, pk: int, roles: Roles | None = None):
    from pledges.models import Pledge  # cells must not import pledges at module load

    pledge = Pledge.objects.select_related("member", "cell", "template").filter(pk=pk).first()
    if pledge is None or not can_view_pledge(user, pledge, roles):
        raise Http404
    return pledge


# --- Forum ----------------------------------------------------------------------------------
# A cell's forum is private to its active members. Committee officers above the cell see the
# state of each themed session (dates, participation, minutes) but never the discussion.


def can_read_forum(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """Read and post in the cell's forum: its active members only (not officers, not admins)."""
    return is_cell_member(user, cell, roles)


def can_moderate_forum(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """Open/conclude sessions, pin, lock, hide, resolve flags, remind: the cell's leaders."""
    return is_cell_leader(user, cell, roles)


def can_keep_meeting_record(user, topic, roles: Roles | None = None) -> bool:
    """Take attendance and open or close votes at a meeting: the cell's leaders, and the
    member recorded as the meeting's secretary, while an active member of the cell."""
    if not can_read_forum(user, topic.cell, roles):
        return False
    return is_cell_leader(user, topic.cell, roles) or topic.meeting_secretary_id == getattr(user, "pk", None)


def can_view_forum_state(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """Sessions' state, dates, participation and minutes: members and officers above the cell."""
    r = _roles(user, roles)
    return r.cell_id == cell.pk or r.oversees(cell) or r.is_superuser


def can_edit_post(user, post, roles: Roles | None = None) -> bool:
    """Only the author edits a post, while still a member of the cell."""
    return post.author_id == getattr(user, "pk", None) and can_read_forum(user, post.topic.cell, roles)


def can_author_themes(user, committee: OrgUnit, roles: Roles | None = None) -> bool:
    """Set the year's themes for a committee's subtree: officers over that committee."""
    r = _roles(user, roles)
    return not committee.is_cell and (r.is_superuser or r.oversees(committee))


def forum_access_holds(user_id: int, cell_id: int) -> bool:
    """One indexed query, from the database: an active membership of an active account (for
    sockets, before they broadcast typing or presence)."""
    return Membership.objects.filter(
        user_id=user_id, cell_id=cell_id, ended_on__isnull=True, user__is_active=True
    ).exists()


def forum_active_member_ids(cell_id: int) -> frozenset[int]:
    """Users who may read the cell's forum now (active memberships of active accounts),
    shared by all sockets of a topic that re-check access for the same event. From the cache
    under the cell's generation, which every membership saved in or out of the cell, and
    every change of a member account's active flag, replaces (cells.signals): a member who
    left or was deactivated is refused on the next event, with no query per event while
    nothing changed."""

    def load() -> frozenset[int]:
        members = Membership.objects.filter(cell_id=cell_id, ended_on__isnull=True, user__is_active=True)
        return frozenset(members.values_list("user_id", flat=True))

    return versioned(f"cells:active:{cell_id}", (f"cell:{cell_id}",), load, ROLES_TIMEOUT)


def get_topic_or_404(user, pk: int, roles: Roles | None = None):
    """A topic the user may read (a member of its cell), or 404."""
    from forum.selectors import topic_by_id

    topic = topic_by_id(pk)
    if topic is None or not can_read_forum(user, topic.cell, roles):
        raise Http404
    return topic


def get_session_state_or_404(user, pk: int, roles: Roles | None = None):
    """A meeting (themed session or monthly meeting) whose state (not content) the user may
    see: members and officers above."""
    from forum.models import Topic

    kinds = [Topic.Kind.SESSION, Topic.Kind.MEETING]
    topic = Topic.objects.select_related("cell", "theme").filter(pk=pk, kind__in=kinds).first()
    if topic is None or not can_view_forum_state(user, topic.cell, roles):
        raise Http404
    return topic


def get_post_or_404(user, pk: int, roles: Roles | None = None):
    """A post the user may see: a member of its cell; a hidden post only by its author or a leader."""
    from forum.models import Post

    post = Post.objects.select_related("topic__cell", "author").filter(pk=pk).first()
    if post is None or not can_read_forum(user, post.topic.cell, roles):
        raise Http404
    if post.is_hidden and post.author_id != user.pk and not can_moderate_forum(user, post.topic.cell, roles):
        raise Http404
    return post


# --- Reports --------------------------------------------------------------------------------
# A cell's overview (members x themes, modules, pledge): its secretary and deputy, officers
# above it, site admins. A committee's report (one row per child, counts only): officers over
# it, site admins. Neither ever shows discussion content. Reminders from the overview: the
# cell's leaders, through each feature's own reminder service and its throttle.


def can_view_cell_report(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    r = _roles(user, roles)
    return r.is_superuser or is_cell_leader(user, cell, r) or r.oversees(cell)


def can_view_committee_report(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    r = _roles(user, roles)
    return not unit.is_cell and (r.is_superuser or r.oversees(unit))


def can_view_report(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    if unit.is_cell:
        return can_view_cell_report(user, unit, roles)
    return can_view_committee_report(user, unit, roles)


def can_remind_from_report(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    return cell.is_cell and is_cell_leader(user, cell, roles)


def can_open_reports(user, roles: Roles | None = None) -> bool:
    """Whether /reports/ has somewhere to open for this user (no query): the menu link."""
    r = _roles(user, roles)
    return bool(r.officer_paths) or r.is_superuser or (r.membership is not None and r.membership.is_leader)


def report_start_unit(user, roles: Roles | None = None) -> OrgUnit | None:
    """Where /reports/ opens: an officer's top node (the highest they oversee), a leader's
    cell, the root for a site admin; None for everyone else."""
    r = _roles(user, roles)
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
