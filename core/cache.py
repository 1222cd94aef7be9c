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

What uses this (each app declares the generations its rows feed in its signals module):
- accounts: the logged-in user (`user:<id>`), the names shown next to posts (`people`);
- cells: a user's roles (`user:<id>`), a cell's active members (`cell:<id>`), any
  organisation unit or theme (`org`);
- notifications: a user's unread count (`notes:<id>`);
- forum: a topic and its pages (`topic:<id>`), a user's read mark (`read:<user>:<topic>`).

Nothing can forget to bump (see "Tracked models" below): each app declares, in its
signals module, which generations a row of each of its cached models feeds (`track`), and
those models use a `GenerationsQuerySet`, so `save()`, `delete()`, queryset `update()` and
`delete()`, `bulk_create()` and `bulk_update()` all bump, in the admin, in services, in
demo seeding and in management commands alike. Only raw SQL bypasses it.

The cache is Redis with REDIS_URL and the process's memory (LocMem) on the embedded
default. On the embedded default a management command (`changepassword`, `shell`,
`send_notification`) bumps only its own memory; so, outside the server, a committed bump
also replaces a small *epoch file* (at most every EPOCH_TOUCH_EVERY seconds, see there)
next to the SQLite database (settings.CACHE_EPOCH_FILE), and
the server checks it with one `os.stat` per request (`check_epoch`, from
core.middleware): when it changed, the server draws a new epoch for its generation keys,
so everything cached under generations is rebuilt on the next read (sessions, rate limits
and presence are not generation-based and are kept). Several server processes need Redis.

Entries never outlive a release: settings.CACHES' KEY_PREFIX ends with a digest of the code,
templates, translations and SECRET_KEY (config/release.py), so pickles written by old code
are never read by new code, even on a Redis that keeps its contents. Processes of two
releases do not see each other's bumps: keep a rolling deploy's overlap short, and run
identical files on every machine of one release. After restoring the
database from a backup, empty the cache (`manage.py clear_cache`, or restart the embedded
server). Every entry also has a timeout (plus at most a minute in a process's memo).
"""

import atexit
import hashlib
import logging
import os
import pickle
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

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
# sees one snapshot of them); names asked for together are fetched in one round trip.
_request_generations: ContextVar[dict | None] = ContextVar("chibo_request_generations", default=None)
_prefetched_session: ContextVar[dict[str, object] | None] = ContextVar("chibo_prefetched_session", default=None)
_prefetched_generations: ContextVar[dict[str, str] | None] = ContextVar("chibo_prefetched_generations", default=None)


def _new_token() -> str:
    return secrets.token_hex(6)


# --- The epoch file (embedded default: bumps made by another process) -------------------------
# Part of every generation key: a server that sees the epoch file change draws a new one, so
# every generation (and so every entry under one) is drawn anew.
_epoch = ""
_epoch_seen: object = _MISSING  # the file's (inode, mtime, size) when this process last looked
_serving = False  # set by the first check_epoch(): this process answers requests
_epoch_lock = threading.Lock()


def _epoch_signature(path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def check_epoch() -> None:
    """In a server process, once per request: if another process bumped (the epoch file
    changed), forget every generation this process holds. One os.stat when nothing changed."""
    global _serving, _epoch, _epoch_seen
    _serving = True
    path = getattr(settings, "CACHE_EPOCH_FILE", None)
    if not path:
        return
    signature = _epoch_signature(path)
    if signature == _epoch_seen:
        return
    with _epoch_lock:
        if signature != _epoch_seen:
            _epoch_seen = signature
            _epoch = _new_token() + ":"
            local_memo.clear()


def server_epoch() -> str:
    """The epoch this server process is in, after one look at the epoch file: it changes when
    another process on the embedded default wrote something cached (a `changepassword`).
    Open sockets compare it before each event (core.sockets), as their events from that
    process never arrive."""
    check_epoch()
    return _epoch


# A command that writes a lot (migrate, seeding) would replace the file for every statement;
# on a busy disk each replacement can take a good part of a second. So the file is replaced
# at once when it was not in the last EPOCH_TOUCH_EVERY seconds, else once more when that
# time is up (a timer, and at the latest when the process exits): the server sees every
# change of a command at most that long after it.
EPOCH_TOUCH_EVERY = 0.5
_touch_lock = threading.Lock()
_touched_at = -EPOCH_TOUCH_EVERY
_touch_pending: threading.Timer | None = None


def touch_epoch(*, now: bool = False) -> None:
    """Outside the server: tell it that generations changed (a new file, so a new inode).
    At most every EPOCH_TOUCH_EVERY seconds, the last one deferred to a timer; `now` replaces
    the file at once (`clear_cache`: the operator waits for it)."""
    global _touched_at, _touch_pending
    path = getattr(settings, "CACHE_EPOCH_FILE", None)
    if not path or _serving:
        return
    with _touch_lock:
        wait = _touched_at + EPOCH_TOUCH_EVERY - time.monotonic()
        if wait > 0 and not now:
            if _touch_pending is None:
                _touch_pending = threading.Timer(wait, _touch_pending_now)
                _touch_pending.daemon = True
                _touch_pending.start()
            return
        _touched_at = time.monotonic()
    _replace_epoch_file(path)


def _touch_pending_now() -> None:
    global _touched_at, _touch_pending
    with _touch_lock:
        if _touch_pending is None:
            return
        _touch_pending.cancel()
        _touch_pending = None
        _touched_at = time.monotonic()
    path = getattr(settings, "CACHE_EPOCH_FILE", None)
    if path:
        _replace_epoch_file(path)


atexit.register(_touch_pending_now)


def _replace_epoch_file(path: str) -> None:
    try:
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w") as handle:
            handle.write(_new_token())
        os.replace(temporary, path)
    except OSError:
        logger.warning("Could not write the cache epoch file %s; the server sees this change late.", path)


def _generation_key(name: str) -> str:
    return f"{GENERATION_PREFIX}{_epoch}{name}"


def generations(*names: str) -> tuple[str, ...]:
    """The current token of each generation (drawing a new one where none is stored)."""
    memo = _request_generations.get()
    if memo is None and _serving:
        check_epoch()  # a socket event in the server, outside any request
    wanted = [name for name in names if memo is None or name not in memo]
    if wanted and memo is not None:
        prefetched = _prefetched_generations.get()
        if prefetched:  # fetched at the request's start, read now: part of what it read
            for name in [name for name in wanted if name in prefetched]:
                memo[name] = prefetched.pop(name)
            wanted = [name for name in wanted if name not in memo]
    if wanted:
        keys = [_generation_key(name) for name in wanted]
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


@contextmanager
def request_scope(session_key: str | None = None, *, sessions: Iterable[str] = (), remember: str = ""):
    """Generations read inside are fetched once (core.middleware opens one per request).

    With the request's session key: one round trip first fetches the session's stored data
    (for core.sessions.SessionStore) and the generations this session's previous request in
    this process read, so a reader's next request usually reads the shared cache once (four
    round trips before on Redis: the session, the user's, the roles', the page's). What was
    fetched ahead counts as read only when asked for, so the names remembered, and a stored
    page's dependencies, are what the request read. Work over many sessions at once (the
    sockets' timer check, core.sockets) passes their keys as `sessions` and names what to
    `remember` the generations it read under. A session is remembered only once found."""
    memo: dict[str, str] = {}
    token = _request_generations.set(memo)
    session_token = _prefetched_session.set(None)
    generations_token = _prefetched_generations.set(None)
    keys = [session_key] if session_key else list(sessions)
    if session_key:
        remember = hashlib.sha1(session_key.encode()).hexdigest()
    remembered = f"gen:names:{remember}" if remember else None
    known = True
    try:
        if remembered:
            known = _prefetch(keys, local_memo.get(remembered))
        yield
    finally:
        _request_generations.reset(token)
        _prefetched_session.reset(session_token)
        _prefetched_generations.reset(generations_token)
        if remembered and memo and known:
            names = tuple(sorted(memo))
            if local_memo.get(remembered) != names:
                local_memo.set(remembered, names, GENERATION_TIMEOUT)


def _session_cache_key(session_key: str) -> str:
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX

    return KEY_PREFIX + session_key


def _prefetch(session_keys: list[str], names) -> bool:
    """Fetch the sessions' data and these generations in one round trip; whether a session
    was found (a cookie that names none is not worth remembering). A failing cache only
    costs the prefetch: each is then read as it is asked for."""
    names = () if names is _MISSING else names
    keys = [_generation_key(name) for name in names]
    if settings.SESSION_CACHE_ALIAS == "default" and settings.SESSION_ENGINE == "core.sessions":
        session_keys = [_session_cache_key(key) for key in session_keys]
    else:
        session_keys = []
    if not keys and not session_keys:
        return True
    try:
        found = cache.get_many(keys + session_keys)
    except Exception:
        logger.warning("could not prefetch the request's session and generations", exc_info=True)
        return False
    _prefetched_generations.set({name: found[key] for name, key in zip(names, keys, strict=True) if key in found})
    if not session_keys:
        return True
    sessions = {key: found[key] for key in session_keys if key in found}
    _prefetched_session.set(sessions)
    return bool(sessions)


def prefetched_session(cache_key: str):
    """The session data fetched with the request's generations under this key, once; None
    when there is none (then the session store reads it itself)."""
    prefetched = _prefetched_session.get()
    if not prefetched:
        return None
    return prefetched.pop(cache_key, None)


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

    connection = transaction.get_connection()
    if connection.in_atomic_block:
        _replace(names, touch=False)
        # At commit, once for the whole transaction: every write statement bumps its table,
        # and on Redis each replacement is a round trip. Names left by a rolled-back
        # savepoint or transaction are replaced with the next commit's: more invalidation
        # than needed, never less.
        pending = connection.__dict__.setdefault("_chibo_bumps_at_commit", set())
        pending.update(names)
        transaction.on_commit(lambda: _replace_pending(connection), robust=True)
    else:
        _replace(names)


def _replace_pending(connection) -> None:
    names = connection.__dict__.pop("_chibo_bumps_at_commit", None)
    if names:
        _replace(tuple(names))


def _replace(names: Iterable[str], touch: bool = True) -> None:
    tokens = {name: _new_token() for name in names}
    cache.set_many({_generation_key(name): token for name, token in tokens.items()}, timeout=GENERATION_TIMEOUT)
    memo = _request_generations.get()
    if memo is not None:
        memo.update(tokens)
    prefetched = _prefetched_generations.get()
    if prefetched:
        for name in tokens:
            prefetched.pop(name, None)
    if touch:  # another process sees rows only once they are committed
        touch_epoch()


# --- Tracked models --------------------------------------------------------------------------
# Each app declares, for each model whose rows feed cached values, which generations a row
# feeds (`track`, called from the app's signals module). Saves and deletes bump through
# model signals (which also covers queryset delete, cascades and the admin); queryset
# update(), bulk_create() and bulk_update() bump through GenerationsQuerySet, which every
# tracked model's default manager must use (`track` refuses a model without it).

# generations(row, changed): `row` maps each declared field to its value for one row;
# `changed` is the set of fields written (update_fields, update()'s keywords), None when
# unknown (a new or deleted row, a full save).
GenerationsOf = Callable[[dict, frozenset[str] | None], Iterable[str]]
# after(rows, changed): what else the owner does on every write path once the generations are
# bumped (accounts and cells tell open sockets to re-check their access).
AfterWrite = Callable[[list[dict], frozenset[str] | None], None]
_tracked: dict[type, tuple[tuple[str, ...], GenerationsOf, AfterWrite | None]] = {}


def _row(instance, fields: tuple[str, ...]) -> dict:
    row = {}
    for name in fields:
        value = instance
        for part in name.split("__"):
            value = getattr(value, part)
        row[name] = value
    return row


def _bump_rows(model, rows: Iterable[dict], changed: frozenset[str] | None) -> None:
    _fields, generations_of, after = _tracked[model]
    rows = list(rows)
    names: set[str] = set()
    for row in rows:
        names.update(generations_of(row, changed))
    if names:
        bump(*sorted(names))
    if after is not None and rows:
        after(rows, changed)


def track(
    model: type[models.Model],
    *,
    fields: tuple[str, ...],
    generations: GenerationsOf,
    after: AfterWrite | None = None,
) -> None:
    """Bump `generations(row, changed)` on every write of `model`'s rows (see above), then
    call `after(rows, changed)` if given."""
    if not isinstance(model._default_manager.all(), GenerationsQuerySet):
        raise ImproperlyConfigured(
            f"{model.__name__}'s default manager must use core.cache.GenerationsQuerySet: "
            "its bulk writes would not bump its cache generations."
        )
    _tracked[model] = (tuple(fields), generations, after)

    def saved(sender, instance, update_fields=None, **kwargs) -> None:
        _bump_rows(model, [_row(instance, fields)], frozenset(update_fields) if update_fields else None)

    def deleted(sender, instance, **kwargs) -> None:
        _bump_rows(model, [_row(instance, fields)], None)

    label = model._meta.label
    post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"core_cache_saved_{label}")
    post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"core_cache_deleted_{label}")


def tracked_models() -> list[type[models.Model]]:
    return list(_tracked)


def _roots(names: Iterable[str]) -> set[str]:
    return {name.split("__")[0].removesuffix("_id") for name in names}


class GenerationsQuerySet(models.QuerySet):
    """A QuerySet whose bulk writes bump the cache generations of the rows they touch."""

    def update(self, **kwargs):
        model = self.model._meta.concrete_model
        if model not in _tracked:
            return super().update(**kwargs)
        fields, _generations, _after = _tracked[model]
        changed = frozenset(kwargs)
        if not fields:  # the generations do not depend on the row
            count = super().update(**kwargs)
            if count:
                _bump_rows(model, [{}], changed)
            return count
        moves = bool(_roots(fields) & _roots(changed))  # the update may change what a row feeds
        if moves:
            rows = list(self.order_by().values("pk", *fields))
        else:
            rows = list(self.order_by().values(*fields).distinct())
        count = super().update(**kwargs)
        if moves and rows:
            after = model._base_manager.using(self.db).filter(pk__in=[row.pop("pk") for row in rows])
            rows += list(after.values(*fields).distinct())
        _bump_rows(model, rows, changed)
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        model = self.model._meta.concrete_model
        if model in _tracked:
            _bump_rows(model, [_row(obj, _tracked[model][0]) for obj in objs], None)
        return objs

    bulk_create.alters_data = True

    # bulk_update() writes through update(), which bumps.


class GenerationsManager(models.Manager.from_queryset(GenerationsQuerySet)):
    """The default manager of a tracked model (see `track`)."""


# --- Tables: every write through Django's connection bumps `table:<name>` ---------------------
# Installed on every database connection (core.apps, connection_created). A statement that
# writes (INSERT, UPDATE, DELETE, REPLACE, TRUNCATE) bumps the generation of each table it
# writes, after it ran, like any bump (now and at commit). It sees what `track` cannot: raw
# SQL, treebeard's path moves, any model. While a page is being recorded (`start_recording`),
# a statement that reads first fetches the generation of each table it names, so the page is
# stored under generations read *before* the rows were (the order `versioned` relies on).

_WRITE = re.compile(r'^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)
_TRUNCATE = re.compile(r"^\s*TRUNCATE\b", re.I)
_NAMES = re.compile(r'"(\w+)"')
_READ = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)"?', re.I)


class _Recording:
    """What one page's rendering read (the request's generations do the rest) and whether it
    wrote: a page that writes (a read mark moving) is not stored."""

    def __init__(self) -> None:
        self.tables: set[str] = set()
        self.wrote = False


_recording: ContextVar[_Recording | None] = ContextVar("chibo_page_recording", default=None)


def table_generation(table: str) -> str:
    return f"table:{table}"


def _written_tables(sql: str) -> list[str]:
    match = _WRITE.match(sql)
    if match:
        return [match.group(1)]
    if _TRUNCATE.match(sql):
        return _NAMES.findall(sql.split("RESTART", 1)[0].split("CASCADE", 1)[0])
    return []


def table_generations_wrapper(execute, sql, params, many, context):
    """A connection's execute wrapper: bumps what a statement writes, records what it reads."""
    written = _written_tables(sql) if isinstance(sql, str) else []
    recording = _recording.get()
    if recording is not None:
        if written:
            recording.wrote = True
        elif isinstance(sql, str):
            new = set(_READ.findall(sql)) - recording.tables
            if new:
                recording.tables |= new
                generations(*(table_generation(name) for name in sorted(new)))
    result = execute(sql, params, many, context)
    if written:
        bump(*(table_generation(name) for name in written))
    return result


def install_table_generations(sender=None, connection=None, **kwargs) -> None:
    """connection_created receiver (core.apps); also safe to call on a connection directly."""
    if connection is not None and table_generations_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(table_generations_wrapper)


# --- Pages --------------------------------------------------------------------------------------
# A logged-in reader's GET page, kept for that reader's session under every generation its
# rendering read (core.middleware.PageCacheMiddleware): the named ones (`versioned` entries,
# the user, roles) and `table:<name>` for each table it queried. Any committed change to any
# of them makes the page be rendered again on the next load; nothing else can change it but
# time, which PAGE_TIMEOUT bounds. Two entries in the process's memo (bounded, least recently
# used out first; each process keeps its own pages, the generations are shared): the names
# the page read (`page:deps:<digest>`), then the page under those names' current tokens.

PAGE_TIMEOUT = 60  # seconds: the most a page that shows the time ("2 minutes ago") lags


def start_recording() -> _Recording:
    """Record the tables this thread reads from now on (see table_generations_wrapper)."""
    recording = _Recording()
    _recording.set(recording)
    return recording


def stop_recording() -> None:
    _recording.set(None)


def _page_key(digest: str, names: tuple[str, ...]) -> str:
    tokens = ":".join(generations(*names))
    return f"page:body:{digest}:{hashlib.sha1(tokens.encode()).hexdigest()}"


def cached_page(digest: str) -> tuple | None:
    """The page (body, headers) stored under `digest`, if no generation it read has changed."""
    names = local_memo.get(f"page:deps:{digest}")
    if names is _MISSING:
        return None
    body = local_memo.get(_page_key(digest, names))
    return None if body is _MISSING else body


def store_page(digest: str, page: tuple) -> None:
    """Store a page (its body, and its headers as the view set them) under every generation
    the request has read so far (its snapshot, read before the rows were)."""
    memo = _request_generations.get()
    if memo is None:
        return
    names = tuple(sorted(memo))
    local_memo.set(_page_key(digest, names), page, PAGE_TIMEOUT)
    local_memo.set(f"page:deps:{digest}", names, PAGE_TIMEOUT)
