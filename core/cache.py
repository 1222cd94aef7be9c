"""Read-through caching that never serves what a committed change has replaced.

Every cached value is stored under a key that includes the current value of one or more
*generation* keys. A change bumps the generations it affects after its transaction commits
(`bump`): entries built under the old generation are never read again and age out. This
is safe against the race a plain `cache.delete` has (a reader that fetched the old row
before the commit storing it after the delete): that reader read the generation first, so
it stores under the old one, which nobody asks for any more.

Read cached values outside the transactions that write (views read them before calling a
service): an entry built inside a transaction that then rolls back would hold rows that
never existed, and a rollback bumps nothing; the timeout is the only bound on that.

Generations are random tokens, not counters: a flushed or evicted generation is simply
re-drawn, which makes every entry under it unreachable too.

What uses this (each owner bumps its own generations, from services and from model
signals so that the admin's saves count as well):
- accounts: the logged-in user (`user:<id>`), the names shown next to posts (`people`);
- cells: a user's roles (`user:<id>`), any organisation unit (`org`);
- notifications: a user's unread count (`notes:<id>`);
- forum: a topic and its pages (`topic:<id>`), a user's read mark (`read:<user>:<topic>`).

The cache is the process's memory on the embedded default and Redis with REDIS_URL. With
several processes and no Redis, or after restoring the database from a backup, clear the
cache (`manage.py clear_cache`): a process cannot see another's bumps. Every entry also
has a timeout, the longest any such stale value can live.
"""

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
_MISSING = object()
GENERATION_PREFIX = "gen:"


def _new_token() -> str:
    return secrets.token_hex(6)


def generations(*names: str) -> tuple[str, ...]:
    """The current token of each generation (drawing a new one where none is stored)."""
    keys = [GENERATION_PREFIX + name for name in names]
    found = cache.get_many(keys)
    tokens = []
    for key in keys:
        token = found.get(key)
        if token is None:
            cache.add(key, _new_token(), timeout=None)
            token = cache.get(key) or _new_token()
        tokens.append(token)
    return tuple(tokens)


class _LocalMemo:
    """Process memory in front of the shared cache, for large values read on every request
    (a page's posts): no unpickling, no transfer from Redis. Safe because a versioned key's
    value never changes; entries still expire with the same timeout as the shared ones."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> object:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return _MISSING
            if entry[0] < time.monotonic():
                del self.entries[key]
                return _MISSING
            self.entries.move_to_end(key)
            return entry[1]

    def set(self, key: str, value: object, timeout: int) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic() + timeout, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


local_memo = _LocalMemo(size=512)


def versioned(key: str, gens: tuple[str, ...], build: Callable[[], T], timeout: int, *, local: bool = False) -> T:
    """The value cached under `key` for the current `gens`, or `build()` stored there.

    With `local`, the value is also kept in this process's memory: only for values that
    callers never change (tuples of plain data, not model instances)."""
    full_key = ":".join((key, *generations(*gens)))
    if local:
        value = local_memo.get(full_key)
        if value is not _MISSING:
            return value
    value = cache.get(full_key, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(full_key, value, timeout)
    if local:
        local_memo.set(full_key, value, timeout)
    return value


def bump(*names: str) -> None:
    """Replace these generations now and again once the current transaction commits.

    Now: what this transaction reads next (and a test, whose transaction never commits)
    sees the change. At commit: a reader that rebuilt an entry in between, from rows the
    commit had not yet replaced, stored it under a generation that is then gone."""

    def replace() -> None:
        cache.set_many({GENERATION_PREFIX + name: _new_token() for name in names}, timeout=None)

    replace()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(replace, robust=True)
