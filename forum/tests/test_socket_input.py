"""Odd input on both sockets (notifications, a forum topic) closes them with a code, and
leaves no traceback in the log: binary frames, malformed JSON, JSON that is not an object,
arrays nested deeper than Python's parser recurses, frames too big to be ours."""

import logging

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

NESTED = "[" * 2000 + "]" * 2000  # 4,000 characters: small, but too deep to parse
PAYLOADS = {
    "binary": ({"bytes": b"\x00\xff{}"}, 1003),
    "empty binary": ({"bytes": b""}, 1003),
    "malformed": ({"text": '{"type": "typing"'}, 1007),
    "empty text": ({"text": ""}, 1007),
    "not utf-8 json": ({"text": "\udcff"}, 1007),
    "array": ({"text": '["typing"]'}, 1007),
    "string": ({"text": '"typing"'}, 1007),
    "number": ({"text": "1e999999"}, 1007),
    "null": ({"text": "null"}, 1007),
    "deeply nested": ({"text": NESTED}, 1007),
    "deeply nested in an object": ({"text": '{"type": ' + NESTED + "}"}, 1007),
    "huge": ({"text": "[" * 100_000 + "]" * 100_000}, 1009),
}


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections():
    yield
    await sync_to_async(connections.close_all)()


@sync_to_async
def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.parametrize("payload", PAYLOADS, ids=list(PAYLOADS))
@pytest.mark.parametrize("socket", ["notifications", "topic"])
async def test_odd_input_closes_the_socket_with_a_code_and_no_traceback(personas, general, caplog, socket, payload):
    caplog.set_level(logging.DEBUG)
    path = "/ws/notifications/" if socket == "notifications" else f"/ws/forum/topics/{general.pk}/"
    headers = [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", await _cookie(personas["member_a"])),
    ]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await communicator.connect(timeout=5)
    assert connected
    frame, code = PAYLOADS[payload]
    await communicator.send_input({"type": "websocket.receive", **frame})
    while (output := await communicator.receive_output(timeout=3))["type"] != "websocket.close":
        assert output["type"] == "websocket.send"  # the greeting (unread count, presence)
    assert output["code"] == code
    await communicator.disconnect()
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING] == []
