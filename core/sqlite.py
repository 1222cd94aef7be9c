"""Keep SQLite's write-ahead log alive for the life of a server process.

Under ASGI every request opens its own database connection and closes it at the end. When
the last connection to a WAL database closes, SQLite checkpoints the log into the database,
syncs it and deletes the log and its shared-memory index; the next request creates them
again. With a post every few hundred milliseconds that was most of a post's time. One
connection held open by the process (it reads nothing after opening) keeps the log in
place; SQLite still checkpoints it every 1,000 pages as usual. It is opened on the process's
first request, so a server that forks workers after importing the app never shares one.
"""

import sqlite3

from django.conf import settings

_holder: sqlite3.Connection | None = None


def hold_on_first_request(**kwargs) -> None:
    """request_started receiver (core.apps): opens the holder in each server process, after
    any fork, never in a management command."""
    if _holder is None:
        hold_wal_open()


def hold_wal_open(database: dict | None = None) -> None:
    """Open the holding connection, once, when the (default) database is an SQLite file."""
    global _holder
    database = database or settings.DATABASES["default"]
    name = str(database.get("NAME", ""))
    if _holder is not None or database["ENGINE"] != "django.db.backends.sqlite3":
        return
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    _holder = sqlite3.connect(name, check_same_thread=False)
    _holder.execute("SELECT count(*) FROM sqlite_master").fetchone()  # maps the log and its index
