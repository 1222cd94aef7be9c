"""Django's Redis cache with one connection pool per process.

Django keeps a cache object per thread, and under ASGI every request runs in a thread of its
own: with the stock backend each request built a new pool and opened a new connection to
Redis (a TCP handshake and two commands before its first GET), and left it open. Here the
pools are shared by every cache object in the process, keyed by server and options; redis-py
pools are thread-safe and start afresh after a fork.
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_pools: dict = {}
_lock = threading.Lock()


class SharedPoolRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        key = (self._servers[index], repr(sorted(self._pool_options.items())))
        pool = _pools.get(key)
        if pool is None:
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(self._servers[index], **self._pool_options)
        return pool


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient
