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
- cells: a user's roles (`user:<id>`), a cell's active members (`cell:<id>`), any
  organisation unit or theme (`org`);
- notifications: a user's unread count (`notes:<id>`);
- forum: a topic and its pages (`topic:<id>`), a user's read mark (`read:<user>:<topic>`).

The cache is the process's memory on the embedded default and Redis with REDIS_URL. A
process cannot see another's bumps in its own memory: run several processes only with
Redis. After restoring the database from a backup, or deploying changed templates or a new
SECRET_KEY while Redis keeps its contents, empty the cache (`manage.py clear_cache` with
Redis; restart the server on the embedded default). Every entry also has a timeout (plus
at most a minute in a process's memo), the longest a change made where no bump reaches
(a command in another process on the embedded default) can linger.
"""

import pickle
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
_MISSING = object()
GENERATION_PREFIX = "gen:"
LOCAL_MAX_ENTRIES = 8192
# Counted as pickled (UTF-8) bytes; Vietnamese text takes up to twice that in memory.
LOCAL_MAX_BYTES = 32 * 1024 * 1024
LOCAL_TIMEOUT = 60  # seconds at most in the memo, whatever the shared entry's timeout
# Generations are kept a week after their last change: an expired one is simply redrawn
# (what was cached under it is rebuilt), and keys for user-topic pairs do not pile up.
GENERATION_TIMEOUT = 7 * 24 * 3600

# The generations read during one request: each is fetched once per request (the request
# sees one snapshot of them), and `prefetch` fetches several in a single round trip.
_request_generations: ContextVar[dict | None] = ContextVar("chibo_request_generations", default=None)


def _new_token() -> str:
    return secrets.token_hex(6)


def generations(*names: str) -> tuple[str, ...]:
    """The current token of each generation (drawing a new one where none is stored)."""
    memo = _request_generations.get()
    wanted = [name for name in names if memo is None or name not in memo]
    if wanted:
        keys = [GENERATION_PREFIX + name for name in wanted]
        found = cache.get_many(keys)
        fetched = {}
        for name, key in zip(wanted, keys, strict=True):
            token = found.get(key)
            if token is None:
                cache.add(key, _new_token(), timeout=GENERATION_TIMEOUT)
                token = cache.get(key) or _new_token()
            fetched[name] = token
        if memo is None:
            return tuple(fetched[name] for name in names)
        memo.update(fetched)
    return tuple(memo[name] for name in names)


def prefetch(*names: str) -> None:
    """Fetch these generations for the rest of the request in one round trip."""
    generations(*names)


@contextmanager
def request_scope():
    """Generations read inside are fetched once (core.middleware opens one per request)."""
    token = _request_generations.set({})
    try:
        yield
    finally:
        _request_generations.reset(token)


def _frozen(value, depth: int = 3) -> bool:
    if isinstance(value, str | bytes | int | float | bool | type(None)):
        return True
    if depth and isinstance(value, tuple | frozenset):
        return all(_frozen(item, depth - 1) for item in value)
    return False


class _LocalMemo:
    """Process memory in front of the shared cache: no round trip to Redis and, for values
    that cannot change (strings, numbers, tuples of them: a page's posts, the header), no
    unpickling either. Other values (model instances) are kept pickled and unpickled per
    read, so no request ever changes another's copy. Safe because a versioned key's value
    never changes; entries expire with the same timeout as the shared ones, and the memo is
    bounded in entries and bytes (least recently used out first)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.entries: OrderedDict[str, tuple[float, bool, object, int]] = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> object:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return _MISSING
            expires, frozen, stored, _size = entry
            if expires < time.monotonic():
                self._drop(key)
                return _MISSING
            self.entries.move_to_end(key)
        return stored if frozen else pickle.loads(stored)

    def set(self, key: str, value: object, timeout: int) -> None:
        frozen = _frozen(value)
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        stored = value if frozen else data
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = (time.monotonic() + timeout, frozen, stored, len(data))
            self.bytes += len(data)
            while self.entries and (len(self.entries) > self.max_entries or self.bytes > self.max_bytes):
                self._drop(next(iter(self.entries)))

    def _drop(self, key: str) -> None:
        self.bytes -= self.entries.pop(key)[3]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.bytes = 0


local_memo = _LocalMemo(LOCAL_MAX_ENTRIES, LOCAL_MAX_BYTES)


def versioned(key: str, gens: tuple[str, ...], build: Callable[[], T], timeout: int) -> T:
    """The value cached under `key` for the current `gens`, or `build()` stored there."""
    full_key = ":".join((key, *generations(*gens)))
    value = local_memo.get(full_key)
    if value is not _MISSING:
        return value
    value = cache.get(full_key, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(full_key, value, timeout)
    # A value read from the shared cache just before it expired must not live a full timeout
    # again here: the memo keeps it a minute at most.
    local_memo.set(full_key, value, min(timeout, LOCAL_TIMEOUT))
    return value


def bump(*names: str) -> None:
    """Replace these generations now and again once the current transaction commits.

    Now: what this transaction reads next (and a test, whose transaction never commits)
    sees the change. At commit: a reader that rebuilt an entry in between, from rows the
    commit had not yet replaced, stored it under a generation that is then gone."""

    def replace() -> None:
        tokens = {name: _new_token() for name in names}
        cache.set_many({GENERATION_PREFIX + name: token for name, token in tokens.items()}, timeout=GENERATION_TIMEOUT)
        memo = _request_generations.get()
        if memo is not None:
            memo.update(tokens)

    replace()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(replace, robust=True)
