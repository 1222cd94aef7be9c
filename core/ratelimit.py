"""The one rate limiter: a fixed window counted in the cache.

`hit(key, limit=, period=)` counts one attempt under `key` and answers 0 while the window's
count is within `limit`, else the seconds until the window ends (for a message or a
`Retry-After`). A window opens at the first attempt and lasts `period` seconds. The count is
one atomic `incr` in the shared cache (Redis in the scale-out layout), so a limit holds across
processes; the stored integer carries the window's start in its high digits and the count in
its low seven (`incr` adds to the count and keeps the start), which is how the wait is known
without a second key. Each caller names its key (its app and what it counts: an IP, a user)
and its figures. The counters expire with their window: nothing to invalidate.

Users: forum posts per member (forum.services.post_rate_check), certificate look-ups per IP
(courses.views), text parked by logged-out browsers per IP (pledges.views.stash), wrong
invitation codes per IP (accounts.views.invite, with `wait` before and `hit` after a failure).
"""

import math
import time

from django.core.cache import cache

_COUNT = 10**7  # the low digits hold the count; a start (epoch seconds) times this fits in 63 bits


def hit(key: str, *, limit: int, period: int) -> int:
    """Count one attempt under `key`; 0 when allowed, else the seconds to wait (at least 1)."""
    now = time.time()
    counter = f"ratelimit:{key}"
    cache.add(counter, int(now) * _COUNT, timeout=period)
    try:
        value = cache.incr(counter)
    except ValueError:  # expired between add and incr: this attempt opens a new window
        value = int(now) * _COUNT + 1
        cache.set(counter, value, timeout=period)
    start, count = divmod(value, _COUNT)
    if count > limit:
        return max(1, math.ceil(start + period - now))
    return 0


def wait(key: str, *, limit: int, period: int) -> int:
    """Without counting: 0 while fewer than `limit` attempts were counted under `key` in its
    window (by `hit`), else the seconds until the window ends. For limits that count only
    failures: ask `wait` before trying, `hit` after a failure (accounts' invitation codes)."""
    value = cache.get(f"ratelimit:{key}")
    if value is None:
        return 0
    start, count = divmod(int(value), _COUNT)
    if count < limit:
        return 0
    return max(1, math.ceil(start + period - time.time()))


def client_ip(request) -> str:
    """The client's address as core.middleware.ClientAddressMiddleware left it (believed from
    trusted proxies only)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
