"""Counters kept at write time for the reports: one row per unit and key, at the cell and at
every committee above it, so a committee's figures are read from its direct children's rows.

A feature's service calls `bump` inside the transaction of the change it counts: the rows of
the cell's ancestors are created if missing, locked in one order (two changes in cells under
the same committee take the shared rows in the same order: no deadlock on PostgreSQL) and
incremented with F() expressions (no lost update). `rebuild` recounts a whole model from the
raw rows (`manage.py recount_reports`).
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from cells.models import OrgUnit
from cells.permissions import ancestor_paths


def _ancestor_ids(cell: OrgUnit) -> list[int]:
    """The ids of the cell and of every unit above it, ascending. One query."""
    return sorted(OrgUnit.objects.filter(path__in=ancestor_paths(cell.path)).values_list("pk", flat=True))


def bump(model, cell: OrgUnit, changes: Iterable[tuple[dict, dict[str, int]]]) -> None:
    """Apply `changes` ((key fields, {counter: delta})) to the rows of `cell` and its ancestors."""
    changes = [(key, {f: d for f, d in deltas.items() if d}) for key, deltas in changes]
    changes = [(key, deltas) for key, deltas in changes if deltas]
    if not changes:
        return
    ids = _ancestor_ids(cell)
    with transaction.atomic():
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
