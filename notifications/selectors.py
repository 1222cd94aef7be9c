from core.cache import versioned
from notifications.models import Notification

UNREAD_TIMEOUT = 300  # seconds; see core.cache


def unread_count_now(user_id: int) -> int:
    """The user's unread notifications, counted in the database (one indexed count): for
    the events and sockets that must carry the exact number."""
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def unread_count(user_id: int) -> int:
    """The bell's number on pages: from the cache, counted again when a notification for the
    user was added or read (notifications.signals bumps `notes:<user>`)."""
    return versioned(
        f"notes:unread:{user_id}", (f"notes:{user_id}",), lambda: unread_count_now(user_id), UNREAD_TIMEOUT
    )
