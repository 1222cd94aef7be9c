"""Cache generations the user row feeds (see core.cache): the user itself and, when a name
may have changed, every cached page that shows people's names."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from core.cache import bump

NAME_FIELDS = {"full_name", "username"}


@receiver(post_save, sender=User, dispatch_uid="accounts_user_saved")
def user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if update_fields is None or NAME_FIELDS & set(update_fields):
        bump(f"user:{instance.pk}", "people")
    else:
        bump(f"user:{instance.pk}")


@receiver(post_delete, sender=User, dispatch_uid="accounts_user_deleted")
def user_deleted(sender, instance: User, **kwargs) -> None:
    bump(f"user:{instance.pk}", "people")
