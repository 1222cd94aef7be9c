"""What the organisation feeds, on every write path (save, delete, queryset update,
bulk_create, bulk_update, treebeard's moves: core.cache.track):

- cache generations: a user's roles follow their memberships and committee roles, a cell's
  list of active members its memberships and its members' accounts (a deactivated account
  is no longer listed); names and paths of units are read through `org`;
- the live end of access: a membership written (by a service or in the admin) tells the
  user's open sockets to re-check their rights (`access.changed`, see core.sockets), so a
  secretary demoted to member stops seeing others' hidden posts at once."""

from django.dispatch import receiver
from django.utils.translation import gettext

from accounts.models import User
from accounts.signals import access_changed
from cells.models import CommitteeRole, Membership, OrgUnit
from core.cache import bump, track
from core.events import publish_on_commit, user_group


def memberships_written(rows: list[dict], changed: frozenset[str] | None) -> None:
    for user_id in sorted({row["user_id"] for row in rows}):
        publish_on_commit(user_group(user_id), {"type": "access.changed"})


track(
    Membership,
    fields=("user_id", "cell_id"),
    generations=lambda row, changed: [f"user:{row['user_id']}", f"cell:{row['cell_id']}"],
    after=memberships_written,
)


def committee_roles_written(rows: list[dict], changed: frozenset[str] | None) -> None:
    """An officer's account opens a whole subtree: no invitation slip printed for them as a
    member may open it any more."""
    from accounts.services import slips_withdraw

    for user in User.objects.filter(pk__in={row["user_id"] for row in rows}):
        slips_withdraw(actor=None, user=user, reason=gettext("Appointed to a committee"))


track(
    CommitteeRole,
    fields=("user_id",),
    generations=lambda row, changed: [f"user:{row['user_id']}"],
    after=committee_roles_written,
)
track(OrgUnit, fields=(), generations=lambda row, changed: ["org"])


@receiver(access_changed, dispatch_uid="cells_member_account_changed")
def member_account_changed(sender, user_ids: list[int], **kwargs) -> None:
    cells = Membership.objects.filter(user_id__in=user_ids, ended_on__isnull=True).values_list("cell_id", flat=True)
    if cells:
        bump(*{f"cell:{cell_id}" for cell_id in cells})
