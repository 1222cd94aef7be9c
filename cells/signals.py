"""Cache generations the organisation feeds (see core.cache): a user's roles follow their
memberships and committee roles, a cell's list of active members its memberships; names and
paths of units are read through `org`."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cells.models import CommitteeRole, Membership, OrgUnit
from core.cache import bump


@receiver(post_save, sender=Membership, dispatch_uid="cells_membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="cells_membership_deleted")
def membership_changed(sender, instance: Membership, **kwargs) -> None:
    bump(f"user:{instance.user_id}", f"cell:{instance.cell_id}")


@receiver(post_save, sender=CommitteeRole, dispatch_uid="cells_committee_role_saved")
@receiver(post_delete, sender=CommitteeRole, dispatch_uid="cells_committee_role_deleted")
def committee_role_changed(sender, instance: CommitteeRole, **kwargs) -> None:
    bump(f"user:{instance.user_id}")


@receiver(post_save, sender=OrgUnit, dispatch_uid="cells_unit_saved")
@receiver(post_delete, sender=OrgUnit, dispatch_uid="cells_unit_deleted")
def unit_changed(sender, instance, **kwargs) -> None:
    bump("org")
