"""What the user row feeds, on every write path (save, delete, queryset update, bulk_create,
bulk_update: core.cache.track):

- cache generations: the user itself and, when a name may have changed, every cached page
  that shows people's names;
- the live end of access: when a password or the active flag may have changed, every socket
  of the user re-checks that its session still logs in (`access.changed`, see core.sockets),
  and `access_changed` lets cells refresh its lists of active members;
- when a session logs out, the sockets opened with it close (`session.ended`)."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import Signal, receiver

from accounts.models import User
from core.cache import track
from core.events import publish_on_commit, session_group, user_group

NAME_FIELDS = frozenset({"full_name", "username"})
ACCESS_FIELDS = frozenset({"password", "is_active"})

# Sent with `user_ids` whose password or active flag may have changed (cells.signals listens).
access_changed = Signal()


def user_generations(row: dict, changed: frozenset[str] | None) -> list[str]:
    if changed is None or NAME_FIELDS & changed:
        return [f"user:{row['id']}", "people"]
    return [f"user:{row['id']}"]  # e.g. last_login on each log-in: no page shows it


def users_written(rows: list[dict], changed: frozenset[str] | None) -> None:
    """`changed` None: any field may have changed (a new, deleted or fully saved row)."""
    if changed is not None and not ACCESS_FIELDS & changed:
        return
    user_ids = sorted({row["id"] for row in rows})
    access_changed.send(sender=User, user_ids=user_ids)
    for pk in user_ids:
        publish_on_commit(user_group(pk), {"type": "access.changed"})


track(User, fields=("id",), generations=user_generations, after=users_written)


@receiver(user_logged_out, dispatch_uid="accounts_user_logged_out")
def logged_out(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        publish_on_commit(session_group(session_key), {"type": "session.ended"})
