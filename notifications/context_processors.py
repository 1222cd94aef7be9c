"""The bell on every page: the unread count (cached) and where the bell leads."""

from django.http import HttpRequest

from core.links import reverse_cached
from notifications.selectors import unread_count


def bell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    # The bell is right on every page without JavaScript (a cached count).
    unread = unread_count(user.pk) if user is not None and user.is_authenticated else 0
    return {"unread_notifications": unread, "notifications_url": reverse_cached("notifications:list")}
