from channels.db import database_sync_to_async

from core.sockets import CLOSE_UNAUTHENTICATED, UserSocket
from notifications.selectors import unread_count_now


class NotificationConsumer(UserSocket):
    """A user's own notification stream at /ws/notifications/.

    Anonymous sockets are refused before accept. On every (re)connect the current unread
    count is sent first, so a client that was away misses nothing that matters for the bell.
    It closes when its login session logs out, and when the account's password or active flag
    changes so that its session no longer authenticates (core.sockets.UserSocket).
    """

    async def connect(self) -> None:
        if not await self.authenticate():
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()
        await self.send_json({"type": "notification.unread", "version": 1, "unread": await self._unread()})

    async def disconnect(self, code: int) -> None:
        await self.leave_access_groups()

    async def receive_json(self, content, **kwargs) -> None:
        # The stream is one-way; a client may only ask for the count again.
        if content.get("type") == "notification.refresh":
            await self.send_json({"type": "notification.unread", "version": 1, "unread": await self._unread()})

    async def event_forward(self, message: dict) -> None:
        event = message["event"]
        if await self.access_event(event):
            return
        if event.get("type", "").startswith("notification."):
            await self.send_json(event)

    @database_sync_to_async
    def _unread(self) -> int:
        return unread_count_now(self.user.pk)
