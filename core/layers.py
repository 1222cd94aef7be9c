"""The embedded default's channel layer: Channels' in-memory layer, cleaned less often.

Channels' `InMemoryChannelLayer` drops expired messages and group entries by walking every
channel and every group entry on each `receive` and `group_send`. With 500 sockets (each in
its topic's, its user's and its session's group) a post's fan-out walked them 20 times and
500 posts a second made it a third of the process's time. Here the walk runs at most once
every `CLEAN_EVERY` seconds: a message or group entry outlives its expiry by at most that
much (the expiry is 60 s for messages and a day for group entries).
"""

import time

from channels.layers import InMemoryChannelLayer


class AmortizedInMemoryChannelLayer(InMemoryChannelLayer):
    CLEAN_EVERY = 1.0  # seconds
    clock = staticmethod(time.monotonic)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._next_clean = 0.0

    def _clean_expired(self) -> None:
        now = self.clock()
        if now < self._next_clean:
            return
        self._next_clean = now + self.CLEAN_EVERY
        super()._clean_expired()

    async def flush(self) -> None:
        await super().flush()
        self._next_clean = 0.0
