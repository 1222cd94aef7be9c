"""The embedded default's channel layer (core.layers): expiry still holds, but the walk over
every channel and group entry runs at most once a second, not on every send and receive."""

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer

from core.layers import AmortizedInMemoryChannelLayer


def test_the_embedded_default_uses_it(settings):
    if "core.layers" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        pytest.skip("this run uses another channel layer (Redis)")
    assert isinstance(get_channel_layer(), AmortizedInMemoryChannelLayer)


@pytest.mark.asyncio
async def test_a_fan_out_walks_the_channels_once_not_once_per_message(monkeypatch):
    layer = AmortizedInMemoryChannelLayer()
    walks = []
    real = InMemoryChannelLayer._clean_expired

    def counted(self):
        walks.append(1)
        real(self)

    monkeypatch.setattr(InMemoryChannelLayer, "_clean_expired", counted)
    channels = [await layer.new_channel() for _ in range(200)]
    for channel in channels:
        await layer.group_add("topic", channel)
    for _ in range(5):
        await layer.group_send("topic", {"type": "event.forward"})
        for channel in channels:
            assert (await layer.receive(channel))["type"] == "event.forward"
    assert len(walks) <= 2  # Channels' own: 5 sends + 1,000 receives, 1,005 walks over 200


@pytest.mark.asyncio
async def test_expired_messages_and_group_entries_still_go():
    """Expiry is as Channels' (message and join times are wall times); only the walk is
    held back, by the layer's own clock."""
    import time

    now = {"mono": 100.0}
    layer = AmortizedInMemoryChannelLayer(expiry=60, group_expiry=86400)
    layer.clock = lambda: now["mono"]
    stale, fresh = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("topic", stale)
    await layer.send(stale, {"type": "old"})  # never read: it expires, and its channel leaves
    _expires, message = layer.channels[stale]._queue[0]
    layer.channels[stale]._queue[0] = (time.time() - 1, message)  # as if 61 s had passed
    await layer.group_add("topic", fresh)
    await layer.group_send("topic", {"type": "new"})
    assert stale not in layer.groups["topic"]
    assert (await layer.receive(fresh))["type"] == "new"
    layer.groups["topic"][fresh] = time.time() - 86401  # joined more than a day ago
    now["mono"] += 0.5  # within the second: not walked yet
    await layer.group_send("topic", {"type": "later"})
    assert fresh in layer.groups.get("topic", {})
    now["mono"] += 1
    await layer.group_send("topic", {"type": "later"})
    assert fresh not in layer.groups.get("topic", {})
