"""The Redis channel layer's connection pool (settings.CHANNEL_LAYERS): redis-py 8 bounds a
pool to 100 connections and refuses the 101st at once (MaxConnectionsError), so a few
hundred sockets joining their groups together (a server restarted under 2,000 members)
failed to connect. The pool is bounded well above what one process's sockets ask at once."""

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

pytestmark = pytest.mark.asyncio


async def test_three_hundred_sockets_joining_at_once_all_join():
    if "channels_redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        pytest.skip("the embedded default has no Redis")
    layer = get_channel_layer()
    channels = [await layer.new_channel() for _ in range(300)]
    results = await asyncio.gather(
        *(layer.group_add(f"chibo.test.join{i % 3}", channel) for i, channel in enumerate(channels)),
        return_exceptions=True,
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    for i, channel in enumerate(channels):
        await layer.group_discard(f"chibo.test.join{i % 3}", channel)
