"""Cache generations the user row feeds (see core.cache): the user itself and, when a name
may have changed, every cached page that shows people's names. Every write path bumps
(save, delete, queryset update, bulk_create, bulk_update: core.cache.track)."""

from accounts.models import User
from core.cache import track

NAME_FIELDS = frozenset({"full_name", "username"})


def user_generations(row: dict, changed: frozenset[str] | None) -> list[str]:
    if changed is None or NAME_FIELDS & changed:
        return [f"user:{row['id']}", "people"]
    return [f"user:{row['id']}"]  # e.g. last_login on each log-in: no page shows it


track(User, fields=("id",), generations=user_generations)
