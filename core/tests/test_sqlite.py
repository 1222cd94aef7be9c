import sqlite3

from core import sqlite as holder


def test_the_write_ahead_log_outlives_each_request_connection(tmp_path, monkeypatch):
    path = tmp_path / "db.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x)")
    setup.close()
    monkeypatch.setattr(holder, "_holder", None)
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}

    def one_request() -> None:
        connection = sqlite3.connect(path)
        connection.execute("INSERT INTO t VALUES (1)")
        connection.commit()
        connection.close()

    one_request()
    assert not (tmp_path / "db.sqlite3-wal").exists()  # the last close checkpointed and deleted it
    holder.hold_wal_open(database)
    one_request()
    assert (tmp_path / "db.sqlite3-wal").exists()
    holder._holder.close()


def test_it_holds_nothing_for_other_databases(monkeypatch):
    monkeypatch.setattr(holder, "_holder", None)
    for name in (":memory:", "file:memorydb_default?mode=memory&cache=shared"):
        holder.hold_wal_open({"ENGINE": "django.db.backends.sqlite3", "NAME": name})
    holder.hold_wal_open({"ENGINE": "django.db.backends.postgresql", "NAME": "chibo"})
    assert holder._holder is None
