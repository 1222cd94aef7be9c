from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.events import user_group
from notifications.selectors import unread_count_now


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """A user's own notification stream at /ws/notifications/.

    Anonymous sockets are refused before accept. On every (re)connect the current unread
    count is sent first, so a client that was away misses nothing that matters for the bell.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "notification.unread", "version": 1, "unread": await self._unread(user.pk)})

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # The stream is one-way; a client may only ask for the count again.
        if isinstance(content, dict) and content.get("type") == "notification.refresh":
            user = self.scope["user"]
            await self.send_json({"type": "notification.unread", "version": 1, "unread": await self._unread(user.pk)})

    async def event_forward(self, message: dict) -> None:
        event = message["event"]
        if event.get("type", "").startswith("notification."):
            await self.send_json(event)

    @database_sync_to_async
    def _unread(self, user_id: int) -> int:
        return unread_count_now(user_id)
