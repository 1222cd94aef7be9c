import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core.events import group_name, publish_on_commit, user_group


def test_it_builds_group_names_channels_accepts():
    assert group_name("user", 7) == "chibo.user.7"
    assert group_name("topic", "a b/ç") == "chibo.topic.a-b--"
    with pytest.raises(ValueError):
        group_name("x", "y" * 120)


def _receive_or_none(channel: str, timeout: float = 0.3):
    layer = get_channel_layer()

    async def receive():
        try:
            return await asyncio.wait_for(layer.receive(channel), timeout=timeout)
        except TimeoutError:
            return None

    return async_to_sync(receive)()


@pytest.mark.django_db(transaction=True)
def test_it_publishes_only_after_commit():
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    group = user_group(99)
    async_to_sync(layer.group_add)(group, channel)
    with transaction.atomic():
        publish_on_commit(group, {"type": "test.event", "id": 1})
        assert _receive_or_none(channel) is None  # nothing while the transaction is open
    message = _receive_or_none(channel)
    assert message == {"type": "event.forward", "event": {"version": 1, "type": "test.event", "id": 1}}


@pytest.mark.django_db(transaction=True)
def test_it_sends_nothing_when_the_transaction_rolls_back():
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    group = user_group(98)
    async_to_sync(layer.group_add)(group, channel)
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_on_commit(group, {"type": "test.event"})
        raise RuntimeError("roll back")
    assert _receive_or_none(channel) is None


def test_it_refuses_events_without_a_type():
    with pytest.raises(ValueError):
        publish_on_commit("chibo.user.1", {"id": 1})
