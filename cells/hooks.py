"""Functions other apps register to follow changes made in cells, so that cells never imports
them (dependencies point one way: cells <- pledges). Apps append in AppConfig.ready().

Each hook runs inside the service's transaction: if it raises, the whole change rolls back.
"""

from collections.abc import Callable

# Called as hook(actor=, old=, new=) after a member moved: `old` is the ended membership,
# `new` the one just created in the target cell.
on_membership_moved: list[Callable[..., None]] = []
