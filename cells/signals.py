"""Cache generations the organisation feeds (see core.cache): a user's roles follow their
memberships and committee roles, a cell's list of active members its memberships and its
members' accounts (a deactivated account is no longer listed); names and paths of units are
read through `org`. A membership saved or deleted (by a service or in the admin) also tells
the user's open sockets to re-check their rights (`access.changed`, see core.sockets): a
secretary demoted to member stops seeing others' hidden posts at once."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.signals import access_changed
from cells.models import CommitteeRole, Membership, OrgUnit
from core.cache import bump
from core.events import publish_on_commit, user_group


@receiver(post_save, sender=Membership, dispatch_uid="cells_membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="cells_membership_deleted")
def membership_changed(sender, instance: Membership, **kwargs) -> None:
    bump(f"user:{instance.user_id}", f"cell:{instance.cell_id}")
    publish_on_commit(user_group(instance.user_id), {"type": "access.changed"})


@receiver(access_changed, dispatch_uid="cells_member_account_changed")
def member_account_changed(sender, user_ids: list[int], **kwargs) -> None:
    cells = Membership.objects.filter(user_id__in=user_ids, ended_on__isnull=True).values_list("cell_id", flat=True)
    if cells:
        bump(*{f"cell:{cell_id}" for cell_id in cells})


@receiver(post_save, sender=CommitteeRole, dispatch_uid="cells_committee_role_saved")
@receiver(post_delete, sender=CommitteeRole, dispatch_uid="cells_committee_role_deleted")
def committee_role_changed(sender, instance: CommitteeRole, **kwargs) -> None:
    bump(f"user:{instance.user_id}")


@receiver(post_save, sender=OrgUnit, dispatch_uid="cells_unit_saved")
@receiver(post_delete, sender=OrgUnit, dispatch_uid="cells_unit_deleted")
def unit_changed(sender, instance, **kwargs) -> None:
    bump("org")
