import asyncio
import re

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connections, transaction

from core.events import group_name, publish_on_commit, user_group


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections():
    # Database calls from async code run on asgiref's worker thread, whose connections would
    # outlive the test and keep PostgreSQL from dropping the test database at the end.
    yield
    await sync_to_async(connections.close_all)()


def test_it_builds_group_names_channels_accepts():
    assert group_name("user", 7) == "chibo.user.7"
    assert group_name("topic", "a b/ç") == "chibo.topic.a-b--"
    with pytest.raises(ValueError):
        group_name("x", "y" * 120)


async def _receive_or_none(channel: str, timeout: float = 0.3):
    try:
        return await asyncio.wait_for(get_channel_layer().receive(channel), timeout=timeout)
    except TimeoutError:
        return None


# Everything happens on one event loop: channels-redis binds a channel's receive buffer to
# the loop that first read it, so a fresh loop per receive (async_to_sync) fails on Redis.
@pytest.mark.django_db(transaction=True)
async def test_it_publishes_only_after_commit():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = user_group(99)
    await layer.group_add(group, channel)

    def publish():
        with transaction.atomic():
            publish_on_commit(group, {"type": "test.event", "id": 1})
            assert async_to_sync(_receive_or_none)(channel) is None  # nothing while the transaction is open

    await sync_to_async(publish)()
    message = await _receive_or_none(channel, timeout=2)
    eid = message.pop("eid")
    assert message == {"type": "event.forward", "event": {"version": 1, "type": "test.event", "id": 1}}
    assert re.fullmatch(r"[0-9a-f]{16}", eid)  # the id sockets share their work for this message by


@pytest.mark.django_db(transaction=True)
async def test_it_sends_nothing_when_the_transaction_rolls_back():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = user_group(98)
    await layer.group_add(group, channel)

    def roll_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            publish_on_commit(group, {"type": "test.event"})
            raise RuntimeError("roll back")

    await sync_to_async(roll_back)()
    assert await _receive_or_none(channel) is None


def test_it_refuses_events_without_a_type():
    with pytest.raises(ValueError):
        publish_on_commit("chibo.user.1", {"id": 1})


def test_sends_from_outside_the_server_share_one_thread_and_arrive(monkeypatch):
    """A management command's sends (no server loop in its thread) go through one event loop
    of their own, not a new thread and loop each (seed_scale spent most of its time there)."""
    import threading

    from core.events import _outside_loop, send_now

    layer = get_channel_layer()
    outside = _outside_loop()
    channel = asyncio.run_coroutine_threadsafe(layer.new_channel(), outside).result(5)
    asyncio.run_coroutine_threadsafe(layer.group_add("chibo.test.outside", channel), outside).result(5)
    started = []
    real_start = threading.Thread.start

    def counted(self):
        started.append(self.name)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", counted)
    for i in range(50):
        send_now("chibo.test.outside", {"type": "test", "n": i})
    monkeypatch.setattr(threading.Thread, "start", real_start)
    assert started == []

    async def drain():
        return [(await layer.receive(channel))["event"]["n"] for _ in range(50)]

    assert asyncio.run_coroutine_threadsafe(drain(), outside).result(10) == list(range(50))
