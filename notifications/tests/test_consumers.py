"""The notification socket through the real ASGI stack (origin check, session auth, routing).

Each test talks to `asgi.application` exactly as a browser would: a session cookie made by
logging in, and an Origin header. Rows are committed (transaction=True) because the consumer
reads them on another thread and events are published only after commit.
"""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client
from django.utils import timezone

from asgi import application
from conftest import make_user
from notifications.models import Notification
from notifications.services import notification_send, notifications_mark_read

PATH = "/ws/notifications/"
ORIGIN = b"http://localhost"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections():
    # Database calls from async code run on asgiref's worker thread, whose connections would
    # outlive the test and keep PostgreSQL from dropping the test database at the end.
    yield
    await sync_to_async(connections.close_all)()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def socket(user=None, origin: bytes | None = ORIGIN) -> WebsocketCommunicator:
    headers = [(b"host", b"localhost")]
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        headers.append((b"cookie", f"sessionid={session_cookie(user)}".encode()))
    return WebsocketCommunicator(application, PATH, headers=headers)


async def connected(user) -> WebsocketCommunicator:
    communicator = await database_sync_to_async(socket)(user)
    ok, code = await communicator.connect(timeout=3)
    assert ok, f"socket refused with {code}"
    return communicator


send = database_sync_to_async(notification_send)
mark_read = database_sync_to_async(notifications_mark_read)


async def test_it_refuses_an_anonymous_socket():
    communicator = socket(None)
    ok, code = await communicator.connect(timeout=3)
    assert not ok
    assert code == 4401
    await communicator.disconnect()


async def test_it_refuses_a_socket_with_a_foreign_origin(personas):
    for origin in (b"http://evil.example", b"https://localhost.evil.example", None):
        communicator = await database_sync_to_async(socket)(personas["member_a"], origin=origin)
        ok, _code = await communicator.connect(timeout=3)
        assert not ok, f"origin {origin!r} was let in"
        await communicator.disconnect()


async def test_it_refuses_an_inactive_user(personas):
    user = personas["member_a"]
    communicator = await database_sync_to_async(socket)(user)
    user.is_active = False
    await database_sync_to_async(user.save)()
    ok, _code = await communicator.connect(timeout=3)
    assert not ok
    await communicator.disconnect()


async def test_it_sends_the_unread_count_on_connect(personas):
    user = personas["member_a"]
    for text in ("one", "two", "three"):
        await send(user=user, kind="test", message=text, email=False)
    await database_sync_to_async(Notification.objects.filter(message="one").update)(read_at=timezone.now())
    # Someone else's unread notifications do not count.
    await send(user=personas["member_b"], kind="test", message="not yours", email=False)

    communicator = await connected(user)
    assert await communicator.receive_json_from(timeout=2) == {"type": "notification.unread", "version": 1, "unread": 2}
    await communicator.disconnect()


async def test_it_refreshes_the_count_when_the_socket_reconnects(personas):
    user = personas["member_a"]
    communicator = await connected(user)
    assert (await communicator.receive_json_from(timeout=2))["unread"] == 0
    await communicator.disconnect()

    # Sent while no socket was open: nobody heard the event.
    await send(user=user, kind="test", message="while away", email=False)

    communicator = await connected(user)
    assert (await communicator.receive_json_from(timeout=2))["unread"] == 1
    await communicator.disconnect()


async def test_it_delivers_a_notification_to_its_user_only(personas):
    own = await connected(personas["member_a"])
    other = await connected(personas["member_b"])
    await own.receive_json_from(timeout=2)
    await other.receive_json_from(timeout=2)

    notification = await send(user=personas["member_a"], kind="test", message="Họp chi bộ lúc 8 giờ", url="/x/")

    event = await own.receive_json_from(timeout=1)
    assert event == {
        "version": 1,
        "type": "notification.created",
        "id": notification.pk,
        "kind": "test",
        "message": "Họp chi bộ lúc 8 giờ",
        "url": "/x/",
        "unread": 1,
    }
    assert await other.receive_nothing(timeout=0.5)
    await own.disconnect()
    await other.disconnect()


async def test_it_delivers_to_every_open_socket_of_the_user(personas):
    phone = await connected(personas["member_a"])
    laptop = await connected(personas["member_a"])
    await phone.receive_json_from(timeout=2)
    await laptop.receive_json_from(timeout=2)

    await send(user=personas["member_a"], kind="test", message="hello", email=False)

    assert (await phone.receive_json_from(timeout=1))["message"] == "hello"
    assert (await laptop.receive_json_from(timeout=1))["message"] == "hello"
    await phone.disconnect()
    await laptop.disconnect()


async def test_it_pushes_the_new_count_when_notifications_are_read(personas):
    user = personas["member_a"]
    await send(user=user, kind="test", message="a", email=False)
    await send(user=user, kind="test", message="b", email=False)
    communicator = await connected(user)
    assert (await communicator.receive_json_from(timeout=2))["unread"] == 2

    await mark_read(user=user)

    assert await communicator.receive_json_from(timeout=1) == {"version": 1, "type": "notification.read", "unread": 0}
    await communicator.disconnect()


async def test_it_answers_a_refresh_request_and_ignores_anything_else(personas):
    user = personas["member_a"]
    communicator = await connected(user)
    assert (await communicator.receive_json_from(timeout=2))["unread"] == 0
    await send(user=user, kind="test", message="a", email=False)
    await communicator.receive_json_from(timeout=1)  # the live event

    await communicator.send_json_to({"type": "notification.mark_all_read"})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.send_json_to({"type": "notification.refresh"})
    assert await communicator.receive_json_from(timeout=1) == {"type": "notification.unread", "version": 1, "unread": 1}
    # The socket only reads: the notification is still unread.
    assert await database_sync_to_async(Notification.objects.filter(user=user, read_at__isnull=True).count)() == 1
    await communicator.disconnect()


async def test_it_does_not_forward_events_of_other_kinds(personas):
    from core.events import publish_on_commit, user_group

    user = personas["member_a"]
    communicator = await connected(user)
    await communicator.receive_json_from(timeout=2)

    def publish():
        from django.db import transaction

        with transaction.atomic():
            publish_on_commit(user_group(user.pk), {"type": "forum.post", "id": 1})

    await database_sync_to_async(publish)()
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_it_refuses_a_socket_for_a_session_of_a_deleted_user(db):
    user = await database_sync_to_async(make_user)("gone")
    communicator = await database_sync_to_async(socket)(user)
    await database_sync_to_async(user.delete)()
    ok, code = await communicator.connect(timeout=3)
    assert not ok
    assert code == 4401
    await communicator.disconnect()
