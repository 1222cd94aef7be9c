"""Every write to the organisation: memberships, roles, invitations, imports.

Each service checks what only it can check (the rules of the data), writes inside one
transaction, keeps an audit row, and publishes its events after commit. Whether the actor
may do it at all is decided by the view with cells.permissions before calling.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from treebeard.exceptions import PathOverflow

from accounts.models import User
from accounts.services import invitation_send, slips_withdraw, user_create_invited, user_rename
from cells import hooks, tally
from cells.imports import MemberRow
from cells.models import Membership, MembershipEvent, MemberTally, OrgUnit, UnitEvent
from core.events import publish_on_commit, user_group


def _today() -> datetime.date:
    return timezone.localdate()


def _audit(membership: Membership, actor: User | None, action: str, detail: str = "") -> None:
    MembershipEvent.objects.create(membership=membership, actor=actor, action=action, detail=detail[:300])


def _access_revoked(user_id: int, cell_id: int) -> None:
    # Sockets scoped to the old cell listen on the user's group and close themselves.
    publish_on_commit(user_group(user_id), {"type": "access.revoked", "cell": cell_id})


def _check_one_secretary(cell: OrgUnit, role: str, exclude_pk: int | None = None) -> None:
    if role != Membership.Role.SECRETARY:
        return
    current = (
        Membership.objects.select_for_update()
        .filter(cell=cell, role=Membership.Role.SECRETARY, ended_on__isnull=True)
        .exclude(pk=exclude_pk)
        .select_related("user")
        .first()
    )
    if current is not None:
        raise ValidationError(
            _("%(cell)s already has a secretary, %(name)s. Change their role first.")
            % {"cell": cell.name, "name": current.user.full_name}
        )


def _joined(membership: Membership) -> None:
    """Count the member in their cell and every unit above it; the features count what the
    member has done there (cells.hooks). Inside the caller's transaction."""
    tally.bump(MemberTally, membership.cell, [({}, {"members": 1})])
    for hook in hooks.on_member_joined:
        hook(membership=membership)


def _left(membership: Membership) -> None:
    tally.bump(MemberTally, membership.cell, [({}, {"members": -1})])
    for hook in hooks.on_member_left:
        hook(membership=membership)


def membership_add(
    *,
    actor: User | None,
    user: User,
    cell: OrgUnit,
    role: str = Membership.Role.MEMBER,
    status: str = Membership.Status.OFFICIAL,
    started_on: datetime.date | None = None,
) -> Membership:
    if not cell.is_cell:
        raise ValidationError(_("Members can only belong to a cell, not to a committee."))
    with transaction.atomic():
        tally.hold_member(user.pk)
        if Membership.objects.select_for_update().filter(user=user, ended_on__isnull=True).exists():
            raise ValidationError(_("%(name)s is already an active member of a cell.") % {"name": user.full_name})
        _check_one_secretary(cell, role)
        membership = Membership.objects.create(
            user=user, cell=cell, role=role, status=status, started_on=started_on or _today()
        )
        _audit(membership, actor, MembershipEvent.Action.ADDED, membership.get_role_display())
        _joined(membership)
    return membership


def _lock_active(membership: Membership, message: str) -> Membership:
    """Re-read the row under a lock: two officers acting at once must not both succeed on
    the state each of them loaded (an end and a move, say)."""
    locked = Membership.objects.select_for_update().select_related("user", "cell").get(pk=membership.pk)
    if not locked.is_active:
        raise ValidationError(message)
    return locked


def membership_change_role(*, actor: User | None, membership: Membership, role: str, status: str) -> Membership:
    with transaction.atomic():
        membership = _lock_active(membership, _("This membership has ended and can no longer be changed."))
        _check_one_secretary(membership.cell, role, exclude_pk=membership.pk)
        old = f"{membership.get_role_display()}, {membership.get_status_display()}"
        membership.role = role
        membership.status = status
        membership.save(update_fields=["role", "status"])
        new = f"{membership.get_role_display()}, {membership.get_status_display()}"
        _audit(membership, actor, MembershipEvent.Action.ROLE_CHANGED, f"{old} → {new}")
    return membership


def _end(*, actor: User | None, membership: Membership, reason: str, ended_on: datetime.date | None) -> Membership:
    tally.hold_member(membership.user_id)  # first (cells.tally.hold_member)
    membership = _lock_active(membership, _("This membership has already ended."))
    membership.ended_on = ended_on or _today()
    membership.end_reason = reason
    membership.save(update_fields=["ended_on", "end_reason"])
    _audit(membership, actor, MembershipEvent.Action.ENDED, reason)
    _left(membership)
    _access_revoked(membership.user_id, membership.cell_id)
    return membership


def membership_end(
    *, actor: User | None, membership: Membership, reason: str, ended_on: datetime.date | None = None
) -> Membership:
    """End a membership. The row stays, with its dates and reason; access goes at once. A
    person left with no active membership is no longer a member: the invitation slips printed
    for them and not used yet stop working (accounts.services.slips_withdraw, audited with
    the reason). A move is not an end (membership_move): the slip still lets them in."""
    with transaction.atomic():
        membership = _end(actor=actor, membership=membership, reason=reason, ended_on=ended_on)
        if not Membership.objects.filter(user_id=membership.user_id, ended_on__isnull=True).exists():
            slips_withdraw(actor=actor, user=membership.user, reason=reason)
    return membership


def membership_move(*, actor: User | None, membership: Membership, to_cell: OrgUnit) -> Membership:
    """Move a member to another cell, keeping role status; the old cell's access ends now."""
    if not to_cell.is_cell:
        raise ValidationError(_("Members can only belong to a cell, not to a committee."))
    if to_cell.pk == membership.cell_id:
        raise ValidationError(_("The member is already in this cell."))
    with transaction.atomic():
        tally.hold_member(membership.user_id)
        membership = _end(
            actor=actor,
            membership=membership,
            reason=_("Moved to %(cell)s") % {"cell": to_cell.name},
            ended_on=None,
        )
        _audit(membership, actor, MembershipEvent.Action.MOVED, to_cell.name)
        moved = membership_add(
            actor=actor,
            user=membership.user,
            cell=to_cell,
            role=Membership.Role.MEMBER,
            status=membership.status,
        )
        for hook in hooks.on_membership_moved:  # e.g. pledges moves the member's open pledge along
            hook(actor=actor, old=membership, new=moved)
        # What the old cell's secretary printed no longer opens the account: the new cell's
        # secretary prints a new slip if one is needed.
        slips_withdraw(actor=actor, user=membership.user, reason=_("Moved to %(cell)s") % {"cell": to_cell.name})
        return moved


def member_rename(*, actor: User | None, membership: Membership, full_name: str) -> User:
    """Correct the name on a member's record; audited by accounts.services.user_rename."""
    with transaction.atomic():
        membership = _lock_active(membership, _("This membership has ended and can no longer be changed."))
        return user_rename(actor=actor, user=membership.user, full_name=full_name)


def member_invite(*, actor: User | None, cell: OrgUnit, row: MemberRow) -> Membership:
    """Create the account and the membership, and e-mail a link to set a password; a member
    without an e-mail address is invited with a printed slip instead (cells.views.member_slips)."""
    with transaction.atomic():
        user = user_create_invited(username=row.username, full_name=row.full_name, email=row.email, phone=row.phone)
        membership = membership_add(actor=actor, user=user, cell=cell, role=row.role, status=row.status)
        if user.email:
            invitation_send(user=user, cell_name=cell.name, invited_by=actor)
    return membership


def members_import(*, actor: User | None, cell: OrgUnit, rows: list[MemberRow]) -> list[Membership]:
    """All rows or none: the caller has validated them; a race that makes one invalid now
    (someone took a username meanwhile) rolls the whole import back."""
    with transaction.atomic():
        return [member_invite(actor=actor, cell=cell, row=row) for row in rows]


def invitation_resend(*, actor: User | None, membership: Membership) -> None:
    user = membership.user
    if not membership.is_active:
        # The person has left (or moved from) this cell: an invitation to it would mislead.
        raise ValidationError(_("This membership has ended and can no longer be changed."))
    if user.has_usable_password():
        raise ValidationError(_("%(name)s has already set a password.") % {"name": user.full_name})
    if not user.email:
        raise ValidationError(_("%(name)s has no email address.") % {"name": user.full_name})
    invitation_send(user=user, cell_name=membership.cell.name, invited_by=actor)


def unit_move_check(*, unit: OrgUnit, parent: OrgUnit | None) -> None:
    """Refuse a place the tree cannot take: under a cell, under the unit itself or a unit
    below it, or a cell at the top level. Also for a unit not created yet (the admin's form)."""
    if parent is None:
        if unit.is_cell:
            raise ValidationError(_("A cell must belong to a committee."))
        return
    if parent.is_cell:
        raise ValidationError(_("A unit can only be placed under a committee, not under a cell."))
    if unit.pk is not None and parent.path.startswith(unit.path):
        raise ValidationError(_("A unit cannot be placed under itself or under a unit below it."))


def unit_move(*, actor: User | None, unit: OrgUnit, parent: OrgUnit | None) -> OrgUnit:
    """Move a unit (a cell, or a committee with everything under it) under `parent` (None: the
    top level), among its new siblings by name. Every move of a unit goes through here (the
    admin's form and its drag and drop included; `OrgUnit.objects.move` refuses): in the same
    transaction the reports' counters of the old and new ancestors, and of the moved units
    themselves, follow (cells.tally.move), and the move is audited (UnitEvent). Names, roles
    and the reports' cells per child are read under the `org` generation, which the rewritten
    paths replace (cells.signals)."""
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        parent = OrgUnit.objects.get(pk=parent.pk) if parent is not None else None
        unit_move_check(unit=unit, parent=parent)
        old_parent = OrgUnit.objects.get_parent(unit)

        def move_nodes() -> None:
            if parent is not None:
                OrgUnit.objects.tree_move(unit, parent, "sorted-child")
            else:
                OrgUnit.objects.tree_move(unit, OrgUnit.objects.get_first_root_node(), "sorted-sibling")

        try:
            tally.move(unit, move_nodes)
        except PathOverflow:
            where = parent.name if parent is not None else _("(top level)")
            raise ValidationError(_("There is no room left under %(unit)s.") % {"unit": where}) from None
        unit.refresh_from_db()
        if (old_parent and old_parent.pk) != (parent and parent.pk):
            top = _("(top level)")
            detail = f"{unit.name}: {old_parent.name if old_parent else top} → {parent.name if parent else top}"
            UnitEvent.objects.create(unit=unit, actor=actor, action=UnitEvent.Action.MOVED, detail=detail[:300])
    return unit


def member_figures(cell_ids: tally.CellIds) -> tally.PerCell:
    """Active members per cell, from the memberships (MemberTally's count)."""
    from django.db.models import Count

    rows = Membership.objects.filter(ended_on__isnull=True)
    if cell_ids is not None:
        rows = rows.filter(cell_id__in=cell_ids)
    rows = rows.values("cell_id").annotate(n=Count("id")).order_by()
    return {(row["cell_id"], ()): {"members": row["n"]} for row in rows}


def tally_rebuild() -> int:
    """Recount MemberTally from the active memberships (manage.py recount_reports)."""
    return tally.rebuild(MemberTally, member_figures(None), ())
