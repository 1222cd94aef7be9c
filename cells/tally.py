"""Counters kept at write time for the reports: one row per unit and key, at the cell and at
every committee above it, so a committee's figures are read from its direct children's rows.

A feature's service calls `bump` inside the transaction of the change it counts: the rows of
the cell's ancestors are created if missing, locked in one order (two changes in cells under
the same committee take the shared rows in the same order: no deadlock on PostgreSQL) and
incremented with F() expressions (no lost update). `rebuild` recounts a whole model from the
raw rows (`manage.py recount_reports`).

Each counter model is registered (`register`) with the one function that counts it from the
raw rows, per cell; the rebuild and a unit's move (`move`) both use it, so a recount and the
counters a move leaves cannot disagree.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, QuerySet

from cells.models import OrgUnit
from cells.permissions import ancestor_paths

# {(cell id, key values): {counter: value}}: what the cells' own raw rows add up to.
PerCell = dict[tuple[int, tuple], dict[str, int]]
# Which cells to count: ids, or a subquery of them (`move` passes one); None: every cell.
CellIds = Iterable[int] | QuerySet | None


@dataclass(frozen=True)
class Counted:
    model: type
    key_fields: tuple[str, ...]
    # figures(cell_ids) -> PerCell, from the raw rows; cell_ids None: every cell.
    figures: Callable[[CellIds], PerCell]


COUNTED: list[Counted] = []


def register(model, key_fields: tuple[str, ...], figures: Callable[[CellIds], PerCell]) -> None:
    """Declare a counter model and how its figures are counted from the raw rows (the owning
    app's AppConfig.ready). A unit's move recounts its cells with it, before and after."""
    if not any(c.model is model for c in COUNTED):
        COUNTED.append(Counted(model, key_fields, figures))


def _current_path(cell: OrgUnit) -> str:
    """The cell's path as stored now, not as `cell` was loaded (a unit may have been moved
    since). On PostgreSQL the row is held FOR KEY SHARE until commit: a unit's move, which
    locks the rows of the moved subtree FOR UPDATE before counting, waits for this change to
    commit (and counts it), or this change waits for the move and reads the new path. The
    lock is shared, so two changes never wait for each other on it."""
    sql = f'SELECT path FROM "{OrgUnit._meta.db_table}" WHERE id = %s'
    if connection.vendor == "postgresql":
        sql += " FOR KEY SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [cell.pk])
        row = cursor.fetchone()
    return row[0] if row else cell.path


def _ancestor_ids(cell: OrgUnit) -> list[int]:
    """The ids of the cell and of every unit above it, ascending. Two queries."""
    path = _current_path(cell)
    return sorted(OrgUnit.objects.filter(path__in=ancestor_paths(path)).values_list("pk", flat=True))


def bump(model, cell: OrgUnit, changes: Iterable[tuple[dict, dict[str, int]]]) -> None:
    """Apply `changes` ((key fields, {counter: delta})) to the rows of `cell` and its ancestors."""
    changes = [(key, {f: d for f, d in deltas.items() if d}) for key, deltas in changes]
    changes = [(key, deltas) for key, deltas in changes if deltas]
    if not changes:
        return
    with transaction.atomic():
        ids = _ancestor_ids(cell)
        for key, deltas in changes:
            model.objects.bulk_create([model(unit_id=pk, **key) for pk in ids], ignore_conflicts=True)
            rows = model.objects.filter(unit_id__in=ids, **key)
            # Created and locked in ascending unit id, the same order for every writer.
            list(rows.select_for_update().order_by("unit_id").values_list("pk", flat=True))
            rows.update(**{name: F(name) + delta for name, delta in deltas.items()})


def hold_member(user_id: int) -> None:
    """Lock the member's account row until the transaction ends: every change that moves a
    member's contributions between counters (a pledge's review, a module completed, a
    membership added, ended or moved) takes it first, so two of them for the same member run
    one after the other, each reading what the other committed. Without it (PostgreSQL, READ
    COMMITTED) an approval and the end of the membership at once left "approved" counted in a
    cell the member had left, or deadlocked. Taken before any other row of the change."""
    from accounts.models import User

    list(User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True))


def rebuild(
    model, per_cell: dict[tuple[int, tuple], dict[str, int]], key_fields: tuple[str, ...], only: dict | None = None
) -> int:
    """Replace every row of `model` (or those matching `only`) with the roll-up of `per_cell`
    ({(cell id, key values): {counter: value}}): each cell's figures are added to it and to
    every unit above it."""
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    ids = {path: pk for pk, path in paths.items()}
    totals: dict[tuple[int, tuple], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (cell_id, key), counters in per_cell.items():
        for path in ancestor_paths(paths[cell_id]):
            row = totals[(ids[path], key)]
            for name, value in counters.items():
                row[name] += value
    with transaction.atomic():
        model.objects.filter(**(only or {})).delete()
        model.objects.bulk_create(
            [
                model(unit_id=unit_id, **dict(zip(key_fields, key, strict=True)), **counters)
                for (unit_id, key), counters in totals.items()
            ],
            batch_size=2000,
        )
    return len(totals)


def _spread(per_cell: PerCell, cell_chains: dict[int, list[int]], sign: int, into) -> None:
    for (cell_id, key), counters in per_cell.items():
        for unit_id in cell_chains.get(cell_id, ()):
            row = into[(unit_id, key)]
            for name, value in counters.items():
                row[name] += sign * value


def _chains(units: dict[int, str], above: list[int]) -> dict[int, list[int]]:
    """For each unit of a subtree ({id: path}): the ids of the units of the subtree at or above
    it, and `above` (the ids above the subtree's top)."""
    by_path = {path: pk for pk, path in units.items()}
    return {pk: [*above, *(by_path[p] for p in ancestor_paths(path) if p in by_path)] for pk, path in units.items()}


def _apply(model, key_fields: tuple[str, ...], deltas) -> None:
    """Add {(unit id, key values): {counter: delta}} to the rows, creating missing ones; rows
    locked in ascending unit id per key, as `bump` does."""
    by_key: dict[tuple, dict[int, dict[str, int]]] = defaultdict(dict)
    for (unit_id, key), counters in deltas.items():
        counters = {name: d for name, d in counters.items() if d}
        if counters:
            by_key[key][unit_id] = counters
    for key in sorted(by_key, key=repr):
        fields = dict(zip(key_fields, key, strict=True))
        units = by_key[key]
        model.objects.bulk_create([model(unit_id=pk, **fields) for pk in units], ignore_conflicts=True)
        rows = model.objects.filter(unit_id__in=list(units), **fields)
        list(rows.select_for_update().order_by("unit_id").values_list("pk", flat=True))
        for unit_id in sorted(units):
            rows.filter(unit_id=unit_id).update(**{n: F(n) + d for n, d in units[unit_id].items()})


def _path(pk: int) -> str:
    return OrgUnit.objects.filter(pk=pk).values_list("path", flat=True).get()


def _cells_under(path: str):
    """The ids of the cells under `path`, as a subquery (a moved province can hold tens of
    thousands: no list of ids goes through the driver)."""
    return OrgUnit.objects.filter(path__startswith=path, kind=OrgUnit.Kind.CELL).order_by().values("pk")


def _above(path: str) -> list[int]:
    """The ids of the units strictly above `path`, ascending."""
    return sorted(OrgUnit.objects.filter(path__in=ancestor_paths(path)[:-1]).values_list("pk", flat=True))


def move(unit: OrgUnit, move_nodes: Callable[[], None]) -> None:
    """Run `move_nodes` (treebeard's move of `unit` and everything under it) and keep every
    registered counter right, in the caller's transaction.

    The cells of the subtree are counted from their raw rows before and after the move (the
    figures can change, not only move: a module or theme reaches a cell only under the unit
    that set it). What they added before is taken from every unit that held it (the subtree's
    own units and the old ancestors); what they add now is added to the subtree's units and
    the new ancestors. Common ancestors get the difference, usually none. The cost grows with
    the moved subtree, not with the tree."""
    with transaction.atomic():
        # Locked before counting: a change in the subtree that is under way commits first and is
        # counted, a later one waits and reads the new paths (see _current_path).
        units = dict(
            OrgUnit.objects.select_for_update()
            .filter(path__startswith=unit.path)
            .order_by("pk")
            .values_list("pk", "path")
        )
        old_above = _above(units[unit.pk])
        before = {c.model: c.figures(_cells_under(units[unit.pk])) for c in COUNTED}
        move_nodes()
        units_after = dict(OrgUnit.objects.filter(path__startswith=_path(unit.pk)).values_list("pk", "path"))
        new_above = _above(units_after[unit.pk])
        if old_above == new_above:
            return  # reordered among the same siblings: every unit keeps its ancestors
        old_chains, new_chains = _chains(units, old_above), _chains(units_after, new_above)
        for counted in COUNTED:
            deltas = defaultdict(lambda: defaultdict(int))
            _spread(before[counted.model], old_chains, -1, deltas)
            _spread(counted.figures(_cells_under(units_after[unit.pk])), new_chains, 1, deltas)
            _apply(counted.model, counted.key_fields, deltas)
