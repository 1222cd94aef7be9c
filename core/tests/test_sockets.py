"""The WebSocket Origin check (core.sockets): the site's own origin, scheme, host and port
alike, on a Host of ALLOWED_HOSTS, or an origin of CSRF_TRUSTED_ORIGINS. Nothing else."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from asgi import application
from core.sockets import origin_allowed


def _scope(origin: str | None, host: str = "localhost", scheme: str = "ws", **headers: str) -> dict:
    raw = [(b"host", host.encode())]
    if origin is not None:
        raw.append((b"origin", origin.encode()))
    raw += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": raw}


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://localhost", "localhost", "ws"),
        ("http://localhost:80", "localhost", "ws"),
        ("http://LOCALHOST", "localhost:80", "ws"),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws"),
        ("https://localhost", "localhost", "wss"),
        ("https://localhost:8443", "localhost:8443", "wss"),
    ],
)
def test_it_accepts_the_sites_own_origin(origin, host, scheme):
    assert origin_allowed(_scope(origin, host, scheme))


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "why"),
    [
        ("https://localhost", "localhost", "ws", "other scheme"),
        ("http://localhost", "localhost", "wss", "other scheme (a page over plain http on a TLS site)"),
        ("http://localhost:8000", "localhost", "ws", "other port"),
        ("http://localhost", "localhost:8000", "ws", "other port"),
        ("https://localhost:8443", "localhost:443", "wss", "other port"),
        ("http://evil.example", "localhost", "ws", "other host"),
        ("http://localhost.evil.example", "localhost", "ws", "other host"),
        ("http://127.0.0.1", "localhost", "ws", "other host"),
        ("http://evil.example", "evil.example", "ws", "a host not in ALLOWED_HOSTS (DNS rebinding)"),
        (None, "localhost", "ws", "no Origin header"),
        ("null", "localhost", "ws", "an opaque origin"),
        ("", "localhost", "ws", "an empty Origin"),
        ("ws://localhost", "localhost", "ws", "not an http(s) origin"),
        ("http://localhost:99999", "localhost", "ws", "a port out of range"),
        ("http://localhost", "", "ws", "no Host header"),
    ],
)
def test_it_refuses_any_other_origin(origin, host, scheme, why):
    assert not origin_allowed(_scope(origin, host, scheme)), why


def test_behind_a_proxy_the_forwarded_scheme_counts_like_for_django(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(_scope("https://localhost", x_forwarded_proto="https"))
    assert not origin_allowed(_scope("http://localhost", x_forwarded_proto="https"))
    assert origin_allowed(_scope("http://localhost", x_forwarded_proto="http"))
    settings.SECURE_PROXY_SSL_HEADER = None  # not trusted unless configured
    assert not origin_allowed(_scope("https://localhost", x_forwarded_proto="https"))


def test_it_accepts_the_csrf_trusted_origins_exactly(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.org", "https://*.chibo.example"]
    assert origin_allowed(_scope("https://app.example.org"))
    assert origin_allowed(_scope("https://hanoi.chibo.example"))
    assert not origin_allowed(_scope("http://app.example.org"))  # other scheme
    assert not origin_allowed(_scope("https://app.example.org:8443"))  # other port
    assert not origin_allowed(_scope("https://chibo.example.evil"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        (b"http://localhost", True),
        (b"https://localhost", False),
        (b"http://localhost:8000", False),
        (b"http://evil.example", False),
        (None, False),
    ],
)
async def test_the_notification_socket_applies_it(personas, origin, accepted):
    def cookie() -> bytes:
        client = Client()
        client.force_login(personas["member_a"])
        return f"sessionid={client.cookies['sessionid'].value}".encode()

    headers = [(b"host", b"localhost"), (b"cookie", await sync_to_async(cookie)())]
    if origin is not None:
        headers.append((b"origin", origin))
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _code = await communicator.connect(timeout=5)
    assert connected == accepted
    await communicator.disconnect()
    await sync_to_async(connections.close_all)()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_sockets_due_for_the_timers_session_check_at_once_share_one_look_up(monkeypatch):
    """The timer's session check of every socket due within one event's fan-out is one call
    in one thread (thousands of sockets made one each, and queued every event behind them)."""
    import asyncio

    import core.sockets

    calls = []

    def look_up(pairs):
        calls.append(list(pairs))
        return [user_id != 3 for _key, user_id in pairs]

    monkeypatch.setattr(core.sockets, "sessions_authenticate", look_up)
    answers = await asyncio.gather(*(core.sockets._session_holds_batched(f"s{i}", i) for i in range(1, 21)))
    assert calls == [[(f"s{i}", i) for i in range(1, 21)]]
    assert answers == [i != 3 for i in range(1, 21)]


@pytest.mark.django_db
def test_the_timers_session_check_reads_the_shared_cache_once_for_a_whole_batch(monkeypatch):
    """On Redis each session and each user was a round trip of its own: 250 sockets held the
    sync thread, and every event queued behind it, for about 100 ms every 5 s."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.models import User
    from core.sessions import SessionStore
    from core.sockets import sessions_authenticate
    from core.tests.reads import cache_reads

    pairs = []
    for i in range(10):
        user = User.objects.create(username=f"lo_{i}", full_name=f"Người {i}", password="!")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        pairs.append((session.session_key, user.pk))
    pairs.append(("notasessionkey1234", pairs[0][1]))
    expected = [True] * 10 + [False]
    assert sessions_authenticate(pairs) == expected

    reads = cache_reads(monkeypatch)
    assert sessions_authenticate(pairs) == expected
    # One for every session and generation; the unknown session's own miss reads once more.
    assert len(reads) <= 2, reads
