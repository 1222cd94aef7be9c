"""A fixed-window counter per key in Django's cache (Redis when REDIS_URL is set, so it holds
across processes). The same pattern as courses.views._verify_allowed and
pledges.views (parking), here for anything new that counts per client address."""

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR as core.middleware.ClientAddressMiddleware left it (trusted proxies only).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def count(key: str, window: int) -> int:
    """Add one to `key` and return the count in the current window."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def current(key: str) -> int:
    return cache.get(key) or 0
