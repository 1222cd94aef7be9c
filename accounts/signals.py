"""Cache generations the user row feeds (see core.cache): the user itself and, when a name
may have changed, every cached page that shows people's names. And the live end of access:
when a password or the active flag changes (a save, `update()` or `bulk_update()`), every
socket of the user re-checks that its session still logs in (`access.changed`, see
core.sockets), and `access_changed` lets cells refresh its lists of active members; when a
session logs out, the sockets opened with it close (`session.ended`)."""

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from accounts.models import User, users_updated
from core.cache import bump
from core.events import publish_on_commit, session_group, user_group

NAME_FIELDS = {"full_name", "username"}
ACCESS_FIELDS = {"password", "is_active"}

# Sent with `user_ids` whose password or active flag may have changed (cells.signals listens).
access_changed = Signal()


def _users_changed(user_ids: list[int], fields: frozenset[str] | None) -> None:
    """`fields` None: any field may have changed (a save without update_fields)."""
    names = fields is None or bool(NAME_FIELDS & fields)
    bump(*(f"user:{pk}" for pk in user_ids), *(("people",) if names else ()))
    if fields is None or ACCESS_FIELDS & fields:
        access_changed.send(sender=User, user_ids=user_ids)
        for pk in user_ids:
            publish_on_commit(user_group(pk), {"type": "access.changed"})


@receiver(post_save, sender=User, dispatch_uid="accounts_user_saved")
def user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if created:
        bump(f"user:{instance.pk}", "people")
    else:
        _users_changed([instance.pk], None if update_fields is None else frozenset(update_fields))


@receiver(users_updated, sender=User, dispatch_uid="accounts_users_updated")
def users_bulk_updated(sender, user_ids: list[int], fields: frozenset[str], **kwargs) -> None:
    _users_changed(user_ids, fields)


@receiver(post_delete, sender=User, dispatch_uid="accounts_user_deleted")
def user_deleted(sender, instance: User, **kwargs) -> None:
    bump(f"user:{instance.pk}", "people")
    publish_on_commit(user_group(instance.pk), {"type": "access.changed"})


@receiver(user_logged_out, dispatch_uid="accounts_user_logged_out")
def logged_out(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        publish_on_commit(session_group(session_key), {"type": "session.ended"})
