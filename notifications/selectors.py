from core.cache import versioned
from notifications.models import Notification

UNREAD_TIMEOUT = 300  # seconds; see core.cache


def unread_count(user_id: int) -> int:
    """The bell's number: from the cache on most pages, counted when a notification for the
    user was added or read (notifications.signals bumps `notes:<user>`)."""
    return versioned(
        f"notes:unread:{user_id}",
        (f"notes:{user_id}",),
        lambda: Notification.objects.filter(user_id=user_id, read_at__isnull=True).count(),
        UNREAD_TIMEOUT,
    )
