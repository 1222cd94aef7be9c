"""What every WebSocket of the site shares: who may open one, what it accepts, and how it
ends when the access it was opened with ends.

- `SameOriginValidator` (asgi.py) lets a handshake through only when its Host is one of
  `ALLOWED_HOSTS` and its Origin is the site itself, scheme, host and port alike (or one of
  `CSRF_TRUSTED_ORIGINS`): the rule Django's CSRF check applies to a form POST. A handshake
  without an Origin header is refused: browsers always send one, and a script that can set
  headers can set any Origin, so it proves nothing either way.
- `UserSocket` is the base of every logged-in socket (notifications, forum topics). It
  refuses anonymous and inactive users (4401), joins the user's group and its login
  session's group, and closes or re-checks on the events that end or change access:
  `session.ended` (that session logged out: close 4401), `access.changed` (the account's
  password, active flag or a membership changed: the socket checks that its session still
  authenticates, as Django would on the next request, else closes 4401, then the subclass
  re-checks its own rights in `recheck_access`). Input is one small JSON object per text
  frame; anything else closes the socket with a code and no traceback: a binary frame 1003,
  a frame over `MAX_TEXT` characters 1009, malformed or too deeply nested JSON, or JSON that
  is not an object, 1007.
"""

import asyncio
import json
import logging
import time
from urllib.parse import urlsplit

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.sessions.backends.base import SessionBase
from django.http.request import split_domain_port, validate_host
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from core.cache import request_scope, server_epoch
from core.events import session_group, user_group

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401  # no login, or the login this socket was opened with has ended
CLOSE_FORBIDDEN = 4403  # logged in, but no longer allowed here
CLOSE_UNSUPPORTED = 1003  # a binary frame
CLOSE_INVALID = 1007  # text that is not one JSON object
CLOSE_TOO_BIG = 1009

MAX_TEXT = 4096  # characters; what clients send (typing, pings) is a few dozen
# Seconds between two checks of the session before passing an event on: the safety net for an
# `access.changed` or `session.ended` the channel layer lost (its sends are logged, not raised).
SESSION_RECHECK = 5.0

_DEFAULT_PORTS = {"http": 80, "https": 443}


# --- Origin ---------------------------------------------------------------------------------


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) origin, the port made explicit; None if not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme]


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _is_secure(scope) -> bool:
    """As Django's `request.is_secure()`: the proxy's header when SECURE_PROXY_SSL_HEADER names
    one and it is present, else the socket's own scheme."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = _header(scope, meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode())
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme", "ws") in ("wss", "https")


def origin_allowed(scope) -> bool:
    host = _header(scope, b"host") or ""
    domain, port = split_domain_port(host)
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed_hosts):
        return False
    origin = _origin(_header(scope, b"origin") or "")
    if origin is None:
        return False
    scheme = "https" if _is_secure(scope) else "http"
    if origin == (scheme, domain, int(port) if port else _DEFAULT_PORTS[scheme]):
        return True
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in trusted
        parsed = _origin(trusted.replace("://*.", "://", 1))
        if parsed is None or (origin[0], origin[2]) != (parsed[0], parsed[2]):
            continue
        if origin[1] == parsed[1] or (wildcard and origin[1].endswith("." + parsed[1])):
            return True
    return False


class SameOriginValidator:
    """ASGI middleware: refuse (before accept) a WebSocket whose Origin is not the site's."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


# --- Sessions -------------------------------------------------------------------------------


def session_authenticates(session_key: str | None, user_id: int) -> bool:
    """Whether this session still logs this user in, by Django's rule (`auth.get_user`): it
    exists, names the user and a configured backend, the user is active, and the stored hash
    matches the password's (a password changed elsewhere invalidates it). The session is
    only read, never flushed or cycled."""
    if not session_key:
        return False
    store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
    data = store.load()
    backend_path = data.get(BACKEND_SESSION_KEY)
    if str(data.get(SESSION_KEY)) != str(user_id) or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return False
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not user.is_active:
        return False
    stored = data.get(HASH_SESSION_KEY) or ""
    if constant_time_compare(stored, user.get_session_auth_hash()):
        return True
    return any(
        constant_time_compare(stored, user._get_session_auth_hash(secret=secret))
        for secret in settings.SECRET_KEY_FALLBACKS
    )


def sessions_authenticate(pairs: list[tuple[str | None, int]]) -> list[bool]:
    """`session_authenticates` for each (session key, user id), in one call, reading the
    shared cache once for all of them: the sessions, and the generations the previous batch
    read (the users'). On Redis, one round trip per session and per user before: 250
    sockets of a process held the sync thread, and every event behind it, for 100 ms."""
    with request_scope(sessions=[key for key, _user in pairs if key], remember="socket-sessions"):
        return [session_authenticates(session_key, user_id) for session_key, user_id in pairs]


# Sockets due for the timer's session check wait here for one look-up in a thread: with
# thousands of sockets, one thread hop (and database connection) per socket every
# SESSION_RECHECK seconds queued every event behind them (2,000 sockets: deliveries took
# minutes). The first socket due starts the batch; those due within BATCH_WINDOW join it.
BATCH_WINDOW = 0.002
_due: list[tuple[str | None, int, asyncio.Future]] = []
_checking: set[asyncio.Task] = set()  # held until done (the loop keeps only weak references)


async def _session_holds_batched(session_key: str | None, user_id: int) -> bool:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    _due.append((session_key, user_id, future))
    if len(_due) == 1:
        task = loop.create_task(_check_due())
        _checking.add(task)
        task.add_done_callback(_checking.discard)
    return await future


async def _check_due() -> None:
    await asyncio.sleep(BATCH_WINDOW)
    batch = _due[:]
    _due.clear()
    try:
        results = await database_sync_to_async(sessions_authenticate)([(key, user) for key, user, _f in batch])
    except BaseException as exc:  # each waiting socket gets it
        for _key, _user, future in batch:
            if not future.done():
                future.set_exception(exc)
        return
    for (_key, _user, future), holds in zip(batch, results, strict=True):
        if not future.done():
            future.set_result(holds)


# --- The base consumer ----------------------------------------------------------------------


class UserSocket(AsyncJsonWebsocketConsumer):
    """A logged-in user's socket. Subclasses start `connect` with `await self.authenticate()`
    (close with CLOSE_UNAUTHENTICATED when it fails), call `leave_access_groups` in
    `disconnect`, start `event_forward` with `if await self.access_event(event): return`,
    and may override `recheck_access`."""

    user = None
    closing = False

    async def dispatch(self, message) -> None:
        """As Channels' own, without its call to the sync thread before every message to
        close old database connections: that was one call per socket and event, and calls
        to that thread queue behind each other (an event to a 50-member topic waited for 50).
        Every database call of these sockets goes through `database_sync_to_async`, which
        closes old connections in its own call."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def authenticate(self) -> bool:
        """Whether a logged-in, active user opened this socket. If so, it has joined the
        user's and the session's groups, and only then checks that the session still holds,
        so a logout or password change cannot slip in between unheard."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        self.user = user
        self.epoch = server_epoch()
        self.recheck_at = time.monotonic() + SESSION_RECHECK
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        self.access_groups = [user_group(user.pk)]
        if self.session_key:
            self.access_groups.append(session_group(self.session_key))
        for group in self.access_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        if await self.session_holds():
            return True
        await self.leave_access_groups()
        return False

    async def leave_access_groups(self) -> None:
        for group in getattr(self, "access_groups", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def close(self, code=None, reason=None) -> None:
        # Once closing, nothing more is sent or broadcast for this socket.
        self.closing = True
        await super().close(code=code, reason=reason)

    async def send(self, text_data=None, bytes_data=None, close=False) -> None:
        if not self.closing:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    # Input --------------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.closing:
            return
        if text_data is None:
            await self.close(code=CLOSE_UNSUPPORTED)
            return
        if len(text_data) > MAX_TEXT:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # malformed, or nested deeper than Python recurses
            content = None
        if not isinstance(content, dict):
            await self.close(code=CLOSE_INVALID)
            return
        await self.receive_json(content, **kwargs)

    # Access events ------------------------------------------------------------------------

    async def access_event(self, event: dict) -> bool:
        """Handle an event about this socket's access; True when the caller has nothing more
        to do with it (it was such an event, or the socket is closing)."""
        if self.closing:
            return True
        kind = event.get("type")
        if kind == "session.ended":
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return True
        # Another process on the embedded default (`manage.py changepassword`) reaches this
        # one only through the epoch file, never through the channel layer: a new epoch is
        # an `access.changed` that could not be sent.
        # And any event may have been lost: the session is checked again at least every
        # SESSION_RECHECK seconds before anything more is passed on.
        epoch, now = server_epoch(), time.monotonic()
        if kind == "access.changed" or epoch != self.epoch:
            self.epoch, self.recheck_at = epoch, now + SESSION_RECHECK
            if not await self.session_holds():
                await self.close(code=CLOSE_UNAUTHENTICATED)
            else:
                await self.recheck_access()
            return kind == "access.changed" or self.closing
        if now >= self.recheck_at:
            # The timer's check is of the session only, and shared: every socket of this
            # process due for it within one event's fan-out waits for the same look-up. What
            # else the socket may do, its subclass checks on every event from shared answers
            # (forum: the cell's members and leaders, cached under the cell's generation).
            self.recheck_at = now + SESSION_RECHECK
            if not await _session_holds_batched(self.session_key, self.user.pk):
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return True
        return False

    async def session_holds(self) -> bool:
        return await database_sync_to_async(session_authenticates)(self.session_key, self.user.pk)

    async def recheck_access(self) -> None:
        """Re-read what this socket may do, after its user's rights changed."""
