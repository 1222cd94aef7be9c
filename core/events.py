"""The one way code sends to the channel layer.

Events are sent only after the surrounding transaction commits, so no socket ever hears
of a row that a rollback then took away. The channel layer is a hint, the database is the
truth: a failed send is logged and dropped, and clients catch up from the database.
"""

import asyncio
import logging
import re
import secrets
import threading
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

EVENT_VERSION = 1
# The name of the consumer method every group message is dispatched to.
FORWARD_TYPE = "event.forward"

_GROUP_PART = re.compile(r"[^a-zA-Z0-9_\-]")
_GROUP_MAX = 99  # Channels refuses group names of 100 characters or more


def group_name(kind: str, key: object) -> str:
    """`group_name("user", 7)` -> "chibo.user.7". Every group name comes from here."""
    name = f"chibo.{_GROUP_PART.sub('-', kind)}.{_GROUP_PART.sub('-', str(key))}"
    if len(name) > _GROUP_MAX:
        raise ValueError(f"group name too long: {name!r}")
    return name


def user_group(user_id: int) -> str:
    return group_name("user", user_id)


def session_group(session_key: str) -> str:
    """The sockets opened with one login session (closed when it logs out). Named by a keyed
    hash of the session key, so the key itself never reaches the channel layer."""
    return group_name("session", salted_hmac("chibo.session-group", session_key).hexdigest()[:32])


def forward_message(event: dict[str, Any]) -> dict[str, Any]:
    """The group message carrying `event`, with an id of its own (`eid`): the sockets of one
    process that receive the same message share the work done for it by that id (one
    access check, one JSON encoding), however many copies the channel layer makes."""
    return {"type": FORWARD_TYPE, "event": event, "eid": secrets.token_hex(8)}


SEND_TIMEOUT = 10  # seconds a send from outside the server may take before it is dropped
_outside: asyncio.AbstractEventLoop | None = None
_outside_lock = threading.Lock()


def _outside_loop() -> asyncio.AbstractEventLoop:
    """One event loop, in a thread of its own, for sends from code that runs outside the
    server's loop (a management command, a script). `async_to_sync` started a thread and an
    event loop for every send there: seed_scale's 10,000 members spent 36 of its 57 s on it."""
    global _outside
    with _outside_lock:
        if _outside is None or _outside.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="chibo-events", daemon=True).start()
            _outside = loop
        return _outside


def send_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        server_loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
        if server_loop is not None and server_loop.is_running():
            # In the server (a request's thread, a socket's database call): on its own loop.
            async_to_sync(layer.group_send)(group, forward_message(event))
        else:
            sending = asyncio.run_coroutine_threadsafe(layer.group_send(group, forward_message(event)), _outside_loop())
            sending.result(timeout=SEND_TIMEOUT)
    except Exception:  # a down Redis must not fail the request that already committed
        logger.exception("could not publish %s to %s", event.get("type"), group)


def publish_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send `event` (a dict with at least "type") to `group` once the transaction commits."""
    if "type" not in event:
        raise ValueError("an event needs a type")
    payload = {"version": EVENT_VERSION, **event}
    transaction.on_commit(lambda: send_now(group, payload))
