"""The live topic stream at /ws/forum/topics/<id>/.

Membership is checked on connect and again before every event is passed on, and the socket
closes when the user's own group hears `access.revoked`. `?after=<post id>` first sends every
visible post after that id, so a client that was away (or whose events a full channel layer
dropped) misses nothing: the channel layer is a hint, the database is the truth.
"""

import asyncio
import json
import logging
import time
from collections import OrderedDict
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.cache import cache

from cells import permissions
from core.events import EVENT_VERSION, forward_message, user_group
from core.params import int_param
from forum import selectors
from forum.models import Topic
from forum.services import post_event, topic_group

logger = logging.getLogger(__name__)

TYPING_TTL = 6  # seconds a typing indicator lasts without a new keystroke
PRESENCE_TTL = 90  # seconds a viewer stays listed without a ping
FORWARDED = ("post.", "reaction", "typing", "presence", "topic.")


def _presence_key(topic_id: int) -> str:
    return f"forum:presence:{topic_id}"


# One event reaches every socket of a topic in this process at once. Rather than each socket
# asking whether its user is still a member, the first asks for the cell's whole list of
# active members (cached under the cell's generation, which every membership change
# replaces) and the others await that same answer, read after the event arrived. The
# event's JSON is likewise encoded once, by the message's id (core.events.forward_message).
_member_checks: dict[tuple[int, str], asyncio.Future] = {}
_encoded: OrderedDict[str, str] = OrderedDict()
_ENCODED_KEEP = 256


def _encode_once(eid: str, event: dict) -> str:
    text = _encoded.get(eid)
    if text is None:
        text = _encoded[eid] = json.dumps(event)
        while len(_encoded) > _ENCODED_KEEP:
            _encoded.popitem(last=False)
    return text


async def _active_members(cell_id: int, event_key: str) -> frozenset[int]:
    key = (cell_id, event_key)
    pending = _member_checks.get(key)
    if pending is not None:
        return await asyncio.shield(pending)
    future = asyncio.get_running_loop().create_future()
    _member_checks[key] = future
    try:
        members = await database_sync_to_async(permissions.forum_active_member_ids)(cell_id)
        future.set_result(members)
        return members
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # mark retrieved: the caller gets the exception below
        raise
    finally:
        _member_checks.pop(key, None)


def _event_key(message: dict) -> str:
    return message.get("eid") or json.dumps(message["event"], sort_keys=True, default=str)


class TopicConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.user = user
        self.topic_id = int(self.scope["url_route"]["kwargs"]["topic_id"])
        access = await self._access()
        if access is None:
            await self.close(code=4404)
            return
        self.cell_id, self.moderator = access
        self.sent_upto = 0
        self.groups_joined = [topic_group(self.topic_id), user_group(user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        after = self._after()
        if after is not None:
            for post in await self._posts_after(after):
                await self.send_json({**post_event(post), "version": EVENT_VERSION, "catchup": True})
                self.sent_upto = post.pk
        await self._presence(join=True)

    async def disconnect(self, code: int) -> None:
        # Leaving must not fail: when hundreds of sockets drop at once a busy Redis may refuse
        # a connection, and group membership expires on its own anyway.
        try:
            for group in getattr(self, "groups_joined", []):
                await self.channel_layer.group_discard(group, self.channel_name)
            if hasattr(self, "cell_id"):
                await self._presence(join=False)
        except Exception:
            logger.warning("forum socket of user %s left uncleanly", getattr(self, "user", None), exc_info=True)

    def _after(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw = (query.get("after") or [""])[0]
        return int_param(raw)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind not in ("typing", "presence.ping"):
            return
        if not await self._still_member():
            await self.close(code=4403)
            return
        if kind == "typing":
            key = f"forum:typing:{self.topic_id}:{self.user.pk}"
            # One broadcast per TTL/2 per user at most, however fast they type.
            if await cache.aadd(key, 1, timeout=TYPING_TTL // 2):
                await self._broadcast(
                    {"type": "typing", "user_id": self.user.pk, "name": self.user.full_name, "ttl": TYPING_TTL}
                )
        else:
            await self._presence(join=True)

    async def event_forward(self, message: dict) -> None:
        event = message["event"]
        kind = event.get("type", "")
        if kind == "access.revoked":
            if event.get("cell") == self.cell_id:
                await self.close(code=4403)
            return
        if not kind.startswith(FORWARDED):
            return
        key = _event_key(message)
        if self.user.pk not in await _active_members(self.cell_id, key):
            await self.close(code=4403)
            return
        if kind.startswith("post.") and event.get("hidden") and not self._may_see_hidden(event):
            return
        if kind == "post.created" and event.get("id", 0) <= self.sent_upto:
            return  # already sent by the catch-up
        await self.send(text_data=_encode_once(key, event))

    def _may_see_hidden(self, event: dict) -> bool:
        return self.moderator or event.get("author_id") == self.user.pk

    async def _broadcast(self, event: dict) -> None:
        payload = {"version": EVENT_VERSION, "topic": self.topic_id, **event}
        await self.channel_layer.group_send(topic_group(self.topic_id), forward_message(payload))

    async def _presence(self, *, join: bool) -> None:
        """Add or remove this viewer in the topic's roster (one cache entry with a TTL).

        Two sockets joining at the same moment both read the roster before either writes it,
        and the second write would drop the first viewer. Read back and write again until
        this viewer's change holds (a cache offers no atomic update of one entry)."""
        key = _presence_key(self.topic_id)
        for _attempt in range(5):
            now = time.time()
            viewers = await cache.aget(key) or {}
            viewers = {uid: v for uid, v in viewers.items() if v[1] > now}
            if join:
                viewers[self.user.pk] = (self.user.full_name or self.user.username, now + PRESENCE_TTL)
            else:
                viewers.pop(self.user.pk, None)
            await cache.aset(key, viewers, timeout=PRESENCE_TTL)
            viewers = await cache.aget(key) or {}
            if (self.user.pk in viewers) == join:
                break
        names = sorted(v[0] for v in viewers.values() if v[1] > time.time())
        await self._broadcast({"type": "presence", "viewers": names})

    @database_sync_to_async
    def _access(self) -> tuple[int, bool] | None:
        roles = permissions.roles_of(self.user)
        topic = Topic.objects.select_related("cell").filter(pk=self.topic_id).first()
        if topic is None or not permissions.can_read_forum(self.user, topic.cell, roles):
            return None
        return topic.cell_id, permissions.can_moderate_forum(self.user, topic.cell, roles)

    @database_sync_to_async
    def _still_member(self) -> bool:
        return permissions.forum_access_holds(self.user.pk, self.cell_id)

    @database_sync_to_async
    def _posts_after(self, after: int):
        return selectors.posts_after(self.user.pk, self.topic_id, after, moderator=self.moderator)
