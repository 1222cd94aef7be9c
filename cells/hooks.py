"""Functions other apps register to follow changes made in cells, so that cells never imports
them (dependencies point one way: cells <- pledges). Apps append in AppConfig.ready().

Each hook runs inside the service's transaction: if it raises, the whole change rolls back.
"""

from collections.abc import Callable

# Called as hook(membership=) when a membership starts (added, imported, or the new one of a
# move) and when it ends (ended, or the old one of a move), after the row is written: the
# features move the member's contributions to their counters (cells.tally) with them.
on_member_joined: list[Callable[..., None]] = []
on_member_left: list[Callable[..., None]] = []

# Called as hook(actor=, old=, new=) after a member moved: `old` is the ended membership,
# `new` the one just created in the target cell.
on_membership_moved: list[Callable[..., None]] = []
