"""The live topic stream at /ws/forum/topics/<id>/.

Membership is checked on connect and again before every event is passed on. The socket
closes when the user's own group hears `access.revoked` for its cell, when its login session
logs out, and re-checks its rights on `access.changed` (core.sockets.UserSocket): a member
who left closes, a secretary demoted to member stops seeing others' hidden posts.

Presence: one cache entry per topic and viewer (`forum:presence:<topic>:<user>`, with a TTL
that pings renew), so viewers joining together never overwrite each other; the roster is
read for the cell's active members in one `get_many`. A socket sends a roster when its user
joins, leaves or reappears after expiring, never on a mere ping, and honours at most one
ping per `PING_INTERVAL`. Typing and presence are broadcast only after re-checking that the
session and the membership still hold.

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
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

from core.events import EVENT_VERSION, forward_message
from core.idempotency import socket_key
from core.params import int_param
from core.sockets import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, UserSocket
from forum import permissions, selectors
from forum.models import Topic
from forum.services import post_event, topic_group

logger = logging.getLogger(__name__)

TYPING_TTL = 6  # seconds a typing indicator lasts without a new keystroke
PRESENCE_TTL = 90  # seconds a viewer stays listed without a ping
PING_INTERVAL = 15  # seconds; pings closer together from one socket are ignored (forum.js: 45)
FORWARDED = ("post.", "reaction", "typing", "presence", "topic.", "motion.")
POST_EVENTS = ("post.created", "post.edited", "post.hidden")
SYNC_INTERVAL = 1.0  # seconds between two syncs a socket may ask for


def _presence_key(topic_id: int, user_id: int) -> str:
    return f"forum:presence:{topic_id}:{user_id}"


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


async def _active_members(cell_id: int, event_key: str) -> tuple[frozenset[int], frozenset[int]]:
    key = (cell_id, event_key)
    pending = _member_checks.get(key)
    if pending is not None:
        return await asyncio.shield(pending)
    future = asyncio.get_running_loop().create_future()
    _member_checks[key] = future
    try:
        members = await database_sync_to_async(permissions.forum_members_and_moderators)(cell_id)
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


class TopicConsumer(UserSocket):
    async def connect(self) -> None:
        if not await self.authenticate():
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.topic_id = int(self.scope["url_route"]["kwargs"]["topic_id"])
        access = await self._access()
        if access is None:
            await self.close(code=4404)
            return
        self.cell_id, self.moderator = access
        self.sent_upto = 0
        self.last_ping = time.monotonic()
        self.groups_joined = [topic_group(self.topic_id)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        # Listed before the handshake completes: whoever connects next sees this viewer.
        await self._presence_join()
        await self.accept()
        await self._catch_up()

    async def disconnect(self, code: int) -> None:
        # Leaving must not fail: when hundreds of sockets drop at once a busy Redis may refuse
        # a connection, and group membership expires on its own anyway.
        try:
            for group in getattr(self, "groups_joined", []):
                await self.channel_layer.group_discard(group, self.channel_name)
            await self.leave_access_groups()
            if hasattr(self, "cell_id"):
                await self._presence_leave()
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
        return int_param(raw)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type")
        if kind == "sync":
            # Posts go to this socket only, but only while the session and membership hold.
            if await self._may_broadcast():
                await self._sync_request(content)
        elif kind == "typing":
            key = f"forum:typing:{self.topic_id}:{self.user.pk}"
            # One broadcast per TTL/2 per user at most, however fast they type.
            if await cache.aadd(key, 1, timeout=TYPING_TTL // 2) and await self._may_broadcast():
                await self._broadcast(
                    {"type": "typing", "user_id": self.user.pk, "name": self.user.full_name, "ttl": TYPING_TTL}
                )
        elif kind == "vote":
            await self._vote(content)
        elif kind == "presence.ping":
            now = time.monotonic()
            if now - self.last_ping < PING_INTERVAL:
                return
            self.last_ping = now
            if await self._may_broadcast():
                await self._presence_renew()

    async def event_forward(self, message: dict) -> None:
        event = message["event"]
        kind = event.get("type", "")
        if await self.access_event(event):
            return
        if kind == "access.revoked":
            if event.get("cell") == self.cell_id:
                await self.close(code=CLOSE_FORBIDDEN)
            return
        if not kind.startswith(FORWARDED):
            return
        key = _event_key(message)
        members, moderators = await _active_members(self.cell_id, key)
        if self.user.pk not in members:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # A leader demoted (or named) meanwhile reads as such from this event on, even if the
        # `access.changed` that says so was lost.
        self.moderator = self.user.pk in moderators
        if kind == "presence" and event.get("left") == self.user.pk and await self._may_broadcast():
            await self._presence_renew()  # another socket of this user left; this one stays
        if kind in POST_EVENTS:  # every post event carries its seq (forum.services.post_event)
            await self._forward_post(event, key)
            return
        await self.send(text_data=_encode_once(key, event))

    async def _vote(self, content: dict) -> None:
        """Vote over the socket, as the votes page's form does over HTTP: the same service and
        the same refusals, answered to this socket only (`vote.ok` or `vote.refused` with the
        message in the reader's language)."""
        motion_id, choice = content.get("motion"), content.get("choice")
        if type(motion_id) is not int or type(choice) is not int:
            return
        if not await self._may_broadcast():
            return
        reply = await self._cast(motion_id, choice, str(content.get("key") or ""))
        await self.send_json({"version": EVENT_VERSION, "topic": self.topic_id, "motion": motion_id, **reply})

    @database_sync_to_async
    def _cast(self, motion_id: int, choice: int, raw_key: str) -> dict:
        from django.core.exceptions import ValidationError

        from forum.models import Motion
        from forum.services import ballot_cast

        motion = Motion.objects.filter(pk=motion_id, topic_id=self.topic_id).first()
        with translation.override(self._language()):
            if motion is None:
                return {"type": "vote.refused", "message": str(_("There is no such vote in this meeting."))}
            try:
                ballot_cast(actor=self.user, motion=motion, choice=choice, client_key=socket_key(raw_key))
            except ValidationError as exc:
                return {"type": "vote.refused", "message": " ".join(exc.messages)}
        return {"type": "vote.ok"}

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

    async def _broadcast(self, event: dict) -> None:
        payload = {"version": EVENT_VERSION, "topic": self.topic_id, **event}
        await self.channel_layer.group_send(topic_group(self.topic_id), forward_message(payload))

    async def recheck_access(self) -> None:
        """The user's rights changed (core.sockets): still a member of this cell, and a
        moderator only if still a leader; otherwise close."""
        access = await self._access()
        if access is None or access[0] != self.cell_id:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.moderator = access[1]

    async def _may_broadcast(self) -> bool:
        """Before typing or presence goes to others: the session and the membership still
        hold (from the database, not from an event that might have been lost)."""
        if not await self.session_holds():
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        if not await self._still_member():
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        return True

    async def _presence_join(self) -> None:
        await cache.aset(self._presence_key(), self._viewer_name(), timeout=PRESENCE_TTL)
        await self._broadcast({"type": "presence", "viewers": await self._viewers()})

    async def _presence_renew(self) -> None:
        """Keep this viewer listed; tell the others only if they had dropped off the list."""
        if self.closing:
            return
        if await cache.aadd(self._presence_key(), self._viewer_name(), timeout=PRESENCE_TTL):
            await self._broadcast({"type": "presence", "viewers": await self._viewers()})
        else:
            await cache.atouch(self._presence_key(), timeout=PRESENCE_TTL)

    async def _presence_leave(self) -> None:
        # Another socket of the same user on this topic hears `left` and lists them again.
        await cache.adelete(self._presence_key())
        await self._broadcast({"type": "presence", "viewers": await self._viewers(), "left": self.user.pk})

    def _presence_key(self) -> str:
        return _presence_key(self.topic_id, self.user.pk)

    def _viewer_name(self) -> str:
        return self.user.full_name or self.user.username

    async def _viewers(self) -> list[str]:
        """Names of the cell's active members with a live presence entry on this topic."""
        members = await database_sync_to_async(permissions.forum_active_member_ids)(self.cell_id)
        names = await cache.aget_many([_presence_key(self.topic_id, uid) for uid in members])
        return sorted(names.values())

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
