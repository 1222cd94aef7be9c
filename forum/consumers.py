"""The live topic stream at /ws/forum/topics/<id>/.

Membership is checked on connect and again before every event is passed on, and the socket
closes when the user's own group hears `access.revoked`.

Nothing is lost: every change to a topic's posts (created, edited, hidden) takes the topic's
next change number (`seq`, forum.services), and every post event carries it. A client keeps
the highest number up to which it has every change; when it sees a number skipped, and every
half minute in any case (the last event may be the lost one), it sends
`{"type": "sync", "after": <that number>}` and gets every post changed since, then
`{"type": "head", "seq": <number now covered>, "more": bool}`. Connecting with
`?after_seq=<number>` does the same first. (`?after=<post id>`, the older catch-up by id, is
kept for pages loaded before this.) The channel layer is a hint, the database is the truth.

Each post event reaches a reader as the topic page would show that post to them (`article`:
forum.rendering, with Edit on their own post and Hide for leaders); the post is loaded and
its shared pieces built once per process for all the topic's sockets (selectors.LivePosts).
A reader who may not see the post gets `post.hidden` with its id and seq only.
"""

import asyncio
import json
import logging
import time
from collections import OrderedDict
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from cells import permissions
from core.events import EVENT_VERSION, forward_message, user_group
from forum import selectors
from forum.models import Topic
from forum.services import post_event, topic_group

logger = logging.getLogger(__name__)

TYPING_TTL = 6  # seconds a typing indicator lasts without a new keystroke
PRESENCE_TTL = 90  # seconds a viewer stays listed without a ping
FORWARDED = ("post.", "reaction", "typing", "presence", "topic.")
POST_EVENTS = ("post.created", "post.edited", "post.hidden")
SYNC_INTERVAL = 1.0  # seconds between two syncs a socket may ask for


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


# A post event's post, loaded and rendered once per process for every socket of the topic
# (by the message's id, like the member check above); the last few are kept so that a socket
# scheduled after the others were served does not load it again.
_live_posts: OrderedDict[str, asyncio.Future] = OrderedDict()
_LIVE_KEEP = 64


async def _live_post(topic_id: int, post_id: int, event_key: str) -> selectors.LivePosts:
    future = _live_posts.get(event_key)
    if future is None:
        future = _live_posts[event_key] = asyncio.get_running_loop().create_future()
        while len(_live_posts) > _LIVE_KEEP:
            _live_posts.popitem(last=False)
        try:
            future.set_result(await database_sync_to_async(selectors.LivePosts)(topic_id, [post_id]))
        except BaseException as exc:
            _live_posts.pop(event_key, None)
            future.set_exception(exc)
            future.exception()  # mark retrieved: the caller gets the exception below
            raise
    return await asyncio.shield(future)


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
        await self._catch_up()
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

    async def _catch_up(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw = (query.get("after_seq") or [""])[0]
        if raw.isascii() and raw.isdigit():
            await self._send_changes(int(raw))
            return
        after = self._after()
        if after is not None:
            for post in await self._posts_after(after):
                await self.send_json({**post_event(post), "version": EVENT_VERSION, "catchup": True})
                self.sent_upto = post.pk

    async def _send_changes(self, after_seq: int) -> None:
        """Send every post changed after `after_seq`, as this reader sees it, then the head."""
        after_seq = min(after_seq, 2**31 - 1)  # a number no database column overflows on
        messages = await self._changes(after_seq, self._language())
        for message in messages:
            await self.send(text_data=json.dumps(message))

    def _language(self) -> str:
        """The page's language (accounts.middleware.LanguageMiddleware's rule)."""
        if not hasattr(self, "language"):
            supported = {code for code, _name in settings.LANGUAGES}
            chosen = (self.scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME)
            own = getattr(self.user, "language", None)
            self.language = chosen if chosen in supported else own if own in supported else settings.LANGUAGE_CODE
        return self.language

    def _post_message(self, event: dict, live: selectors.LivePosts) -> dict:
        """A post event as this reader receives it: with the post's HTML as their page shows
        it, or only its id and seq when they may not see it."""
        article = live.article(event["id"], user_id=self.user.pk, moderator=self.moderator)
        if article is None:
            return {
                "version": EVENT_VERSION,
                "type": "post.hidden",
                "id": event["id"],
                "topic": self.topic_id,
                "seq": event["seq"],
            }
        return {**event, "article": article}

    def _after(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw = (query.get("after") or [""])[0]
        return int(raw) if raw.isdigit() else None

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind not in ("typing", "presence.ping", "sync"):
            return
        if not await self._still_member():
            await self.close(code=4403)
            return
        if kind == "sync":
            await self._sync_request(content)
        elif kind == "typing":
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
        if kind in POST_EVENTS and "seq" in event:
            await self._forward_post(event, key)
            return
        if kind.startswith("post.") and event.get("hidden") and not self._may_see_hidden(event):
            return
        if kind == "post.created" and event.get("id", 0) <= self.sent_upto:
            return  # already sent by the catch-up
        await self.send(text_data=_encode_once(key, event))

    async def _sync_request(self, content: dict) -> None:
        after = content.get("after")
        if type(after) is not int or after < 0:
            return
        # At most one answer a second per socket: asking faster only delays one's own answers.
        wait = getattr(self, "next_sync_at", 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self.next_sync_at = time.monotonic() + SYNC_INTERVAL
        await self._send_changes(after)

    async def _forward_post(self, event: dict, key: str) -> None:
        if event["type"] == "post.created" and event["id"] <= self.sent_upto:
            return  # already sent by the catch-up
        live = await _live_post(self.topic_id, event["id"], key)
        with translation.override(self._language()):
            message = self._post_message(event, live)
        await self.send(text_data=json.dumps(message))

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
    def _changes(self, after_seq: int, language: str) -> list[dict]:
        head, ids, more = selectors.changes_after(self.topic_id, after_seq)
        messages = []
        if ids:
            live = selectors.LivePosts(self.topic_id, ids)
            with translation.override(language):
                for pk in ids:
                    post = live.posts[pk]
                    event = {**post_event(post), "version": EVENT_VERSION, "catchup": True}
                    messages.append(self._post_message(event, live))
            if more:
                head = live.posts[ids[-1]].seq
        messages.append({"version": EVENT_VERSION, "type": "head", "topic": self.topic_id, "seq": head, "more": more})
        return messages

    @database_sync_to_async
    def _posts_after(self, after: int):
        return selectors.posts_after(self.user.pk, self.topic_id, after, moderator=self.moderator)
