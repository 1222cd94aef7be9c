"""Counters for the reports (cells.tally): the completions of each module per cell, kept as
members complete modules (study.py), join and leave cells (cells.hooks), and rebuilt from the
raw rows by `manage.py recount_reports`."""

from django.db.models import Count, F

from cells import tally
from cells.models import Membership
from cells.permissions import ancestor_paths
from courses.models import ModuleProgress, ModuleTally


def _completed_in_audience(membership: Membership) -> list[int]:
    """Modules the member completed whose audience includes the membership's cell. One query."""
    return list(
        ModuleProgress.objects.filter(
            user_id=membership.user_id,
            completed_at__isnull=False,
            module__audience__path__in=ancestor_paths(membership.cell.path),
        ).values_list("module_id", flat=True)
    )


def tally_member_joined(*, membership: Membership) -> None:
    """cells.hooks.on_member_joined: the member's completions count in the new cell."""
    changes = [({"module_id": pk}, {"completed": 1}) for pk in _completed_in_audience(membership)]
    tally.bump(ModuleTally, membership.cell, changes)


def tally_member_left(*, membership: Membership) -> None:
    """cells.hooks.on_member_left: the member's completions no longer count in the old cell."""
    changes = [({"module_id": pk}, {"completed": -1}) for pk in _completed_in_audience(membership)]
    tally.bump(ModuleTally, membership.cell, changes)


def tally_figures(cell_ids: tally.CellIds, module_id: int | None = None) -> dict:
    """{(cell id, (module id,)): {"completed": n}}: completions of the cells' active members (None:
    every cell) in modules whose audience includes their cell; the one count the rebuild and a
    unit's move use."""
    # One filter() call: the conditions on the membership must hold for the same membership.
    membership = {} if cell_ids is None else {"user__memberships__cell_id__in": cell_ids}
    rows = ModuleProgress.objects.filter(
        completed_at__isnull=False,
        user__memberships__ended_on__isnull=True,
        user__memberships__cell__path__startswith=F("module__audience__path"),
        **membership,
    )
    if module_id is not None:
        rows = rows.filter(module_id=module_id)
    rows = rows.values("user__memberships__cell_id", "module_id").annotate(n=Count("id")).order_by()
    return {(row["user__memberships__cell_id"], (row["module_id"],)): {"completed": row["n"]} for row in rows}


def tally_rebuild(module_id: int | None = None) -> int:
    """Recount ModuleTally (one module's rows, or all) from the completions of active members
    in the modules' audiences (manage.py recount_reports)."""
    per_cell = tally_figures(None, module_id)
    if module_id is None:
        return tally.rebuild(ModuleTally, per_cell, ("module_id",))
    return tally.rebuild(ModuleTally, per_cell, ("module_id",), only={"module_id": module_id})
