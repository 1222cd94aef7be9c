"""A user's notifications feed their unread count (`notes:<user>`, see core.cache). Every
write path bumps (save, delete, queryset update, bulk_create, bulk_update: core.cache.track)."""

from core.cache import track
from notifications.models import Notification

track(Notification, fields=("user_id",), generations=lambda row, changed: [f"notes:{row['user_id']}"])
