"""Cache generations the organisation feeds (see core.cache): a user's roles follow their
memberships and committee roles, a cell's list of active members its memberships; names and
paths of units are read through `org`. Every write path bumps (save, delete, queryset
update, bulk_create, bulk_update, treebeard's moves: core.cache.track)."""

from cells.models import CommitteeRole, Membership, OrgUnit
from core.cache import track

track(
    Membership,
    fields=("user_id", "cell_id"),
    generations=lambda row, changed: [f"user:{row['user_id']}", f"cell:{row['cell_id']}"],
)
track(CommitteeRole, fields=("user_id",), generations=lambda row, changed: [f"user:{row['user_id']}"])
track(OrgUnit, fields=(), generations=lambda row, changed: ["org"])
