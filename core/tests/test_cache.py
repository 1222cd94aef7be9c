"""core.cache: versioned entries, generation bumps now and at commit, the local memo."""

import io
import time

import pytest
from django.core.cache import cache, caches
from django.db import transaction

from core import cache as versioned_cache
from core.cache import bump, versioned


def test_it_builds_once_and_rebuilds_after_a_bump():
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert versioned("k", ("g",), build, 60) == 1
    assert versioned("k", ("g",), build, 60) == 1
    bump("g")
    assert versioned("k", ("g",), build, 60) == 2
    assert versioned("k", ("other",), build, 60) == 3  # another generation, another entry


def test_a_flushed_cache_draws_new_generations():
    assert versioned("k", ("g",), lambda: "old", 60) == "old"
    cache.clear()
    assert versioned("k", ("g",), lambda: "new", 60) == "new"


@pytest.mark.django_db(transaction=True)
def test_an_entry_rebuilt_before_the_commit_is_dropped_by_it():
    # A reader rebuilding between the change and its commit stores rows the commit replaces;
    # the bump at commit makes that entry unreachable.
    with transaction.atomic():
        bump("g")
        assert versioned("k", ("g",), lambda: "rows before the commit", 60) == "rows before the commit"
    assert versioned("k", ("g",), lambda: "rows after the commit", 60) == "rows after the commit"


@pytest.mark.django_db(transaction=True)
def test_a_transactions_bumps_are_replaced_at_commit_in_one_write(monkeypatch):
    """Every write statement bumps its table; on Redis each replacement is a round trip, so
    at commit they go together."""
    writes = []
    backend = type(caches["default"])
    real = backend.set_many

    def counted(self, data, *args, **kwargs):
        writes.append(sorted(data))
        return real(self, data, *args, **kwargs)

    with transaction.atomic():
        for name in ["a", "b", "c", "a"]:
            bump(name)
        before = versioned_cache.generations("a", "b", "c")
        monkeypatch.setattr(backend, "set_many", counted)
    assert len(writes) == 1 and writes[0] == sorted(versioned_cache._generation_key(n) for n in "abc")
    assert set(versioned_cache.generations("a", "b", "c")).isdisjoint(before)


@pytest.mark.django_db(transaction=True)
def test_names_bumped_in_a_rolled_back_savepoint_are_still_replaced_at_commit():
    with transaction.atomic():
        try:
            with transaction.atomic():
                bump("inner")
                before = versioned_cache.generations("inner")
                raise RuntimeError
        except RuntimeError:
            pass
        bump("outer")
    assert versioned_cache.generations("inner") != before  # more invalidation, never less


def test_the_local_memo_serves_without_the_shared_cache_and_expires(monkeypatch):
    assert versioned("big", ("g",), lambda: ("pieces",), 60) == ("pieces",)
    gets = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda *a, **k: gets.append(a[0]) or real_get(*a, **k))
    assert versioned("big", ("g",), lambda: ("rebuilt",), 60) == ("pieces",)
    assert not [key for key in gets if key.startswith("big:")]  # generations only
    later = versioned_cache.time.monotonic() + versioned_cache.LOCAL_TIMEOUT + 1
    monkeypatch.setattr(versioned_cache.time, "monotonic", lambda: later)
    # The memo's copy has expired; the shared entry (same generation) is read again.
    assert versioned("big", ("g",), lambda: ("rebuilt",), 3600) == ("pieces",)
    assert [key for key in gets if key.startswith("big:")]


def test_the_local_memo_is_bounded_in_entries_and_bytes():
    memo = versioned_cache._LocalMemo(max_entries=3, max_bytes=10_000)
    for i in range(5):
        memo.set(f"k{i}", i, 60)
    assert list(memo.entries) == ["k2", "k3", "k4"]
    memo.set("big", "x" * 9_000, 60)
    assert list(memo.entries) == ["k3", "k4", "big"]  # the oldest went to make room
    memo.set("huge", "y" * 20_000, 60)
    assert list(memo.entries) == [] and memo.bytes == 0  # never kept past its budget


def test_the_local_memo_hands_out_copies_of_what_can_change():
    memo = versioned_cache._LocalMemo(max_entries=10, max_bytes=10_000)
    memo.set("list", [1, 2], 60)
    memo.get("list").append(3)
    assert memo.get("list") == [1, 2]
    memo.set("pieces", ("a", 1, frozenset({2})), 60)
    assert memo.get("pieces") is memo.get("pieces")  # immutable: shared, not unpickled


def test_a_request_reads_each_generation_once_and_sees_its_own_bumps():
    gets = []
    real = cache.get_many
    with versioned_cache.request_scope():
        cache.get_many = lambda keys, *a, **k: gets.append(list(keys)) or real(keys, *a, **k)
        try:
            first = versioned_cache.generations("a", "b")
            assert versioned_cache.generations("b") == first[1:]
            bump("a")
            assert versioned_cache.generations("a") != first[:1]
        finally:
            cache.get_many = real
    assert gets == [["gen:a", "gen:b"]]


def test_the_clear_cache_command_empties_it():
    from django.core.management import call_command

    cache.set("left-over", 1)
    call_command("clear_cache", stdout=io.StringIO())
    assert cache.get("left-over") is None


# --- The epoch file: bumps made outside the server on the embedded default -------------------


@pytest.fixture
def epoch_file(tmp_path, settings, monkeypatch):
    path = tmp_path / "db.sqlite3-cache-epoch"
    settings.CACHE_EPOCH_FILE = str(path)
    monkeypatch.setattr(versioned_cache, "_serving", False)
    monkeypatch.setattr(versioned_cache, "_epoch_seen", versioned_cache._MISSING)
    monkeypatch.setattr(versioned_cache, "_epoch", "")
    return path


def signature(path):
    return versioned_cache._epoch_signature(path)


def test_outside_the_server_every_bump_replaces_the_epoch_file(epoch_file, monkeypatch):
    monkeypatch.setattr(versioned_cache, "EPOCH_TOUCH_EVERY", 0)
    bump("user:7")
    first = signature(epoch_file)
    assert first is not None
    bump("user:7")
    assert signature(epoch_file) != first  # a new file each time (a new inode), never the same


def test_bumps_in_quick_succession_replace_the_file_once_more_when_the_time_is_up(epoch_file, monkeypatch):
    monkeypatch.setattr(versioned_cache, "EPOCH_TOUCH_EVERY", 0.3)
    monkeypatch.setattr(versioned_cache, "_touched_at", -1.0)
    bump("user:7")
    first = signature(epoch_file)
    bump("user:8")
    bump("user:9")
    assert signature(epoch_file) == first  # not yet: replaced at most every 0.3 s
    time.sleep(0.6)
    assert signature(epoch_file) not in (None, first)  # the last bumps reach the server too


def test_a_bump_inside_a_transaction_replaces_the_file_at_commit_only(epoch_file, monkeypatch, transactional_db):
    monkeypatch.setattr(versioned_cache, "EPOCH_TOUCH_EVERY", 0)
    with transaction.atomic():
        bump("user:7")
        assert not epoch_file.exists()  # nobody else can see uncommitted rows
    assert epoch_file.exists()


def test_the_server_never_writes_the_epoch_file(epoch_file):
    versioned_cache.check_epoch()  # this process answers requests now
    bump("user:7")
    assert not epoch_file.exists()


def test_the_server_forgets_its_generations_when_another_process_bumped(epoch_file, monkeypatch):
    versioned_cache.check_epoch()
    assert versioned("k", ("user:7",), lambda: "before", 60) == "before"
    versioned_cache.check_epoch()  # nothing changed: one stat, the entry stays
    assert versioned("k", ("user:7",), lambda: "rebuilt", 60) == "before"

    # A management command (another process: its bumps reach only its own memory) bumps.
    monkeypatch.setattr(versioned_cache, "_serving", False)
    versioned_cache.touch_epoch()
    monkeypatch.setattr(versioned_cache, "_serving", True)

    versioned_cache.check_epoch()  # the server's next request
    assert versioned("k", ("user:7",), lambda: "after", 60) == "after"


def test_the_middleware_checks_the_epoch_file_on_every_request(epoch_file, client, monkeypatch):
    calls = []
    monkeypatch.setattr(versioned_cache, "_epoch_signature", calls.append)  # one os.stat per call
    client.get("/healthz")
    client.get("/healthz")
    assert calls == [str(epoch_file)] * 2


# --- The release prefix ----------------------------------------------------------------------


def test_the_key_prefix_ends_with_the_release(settings):
    assert settings.CACHES["default"]["KEY_PREFIX"].endswith(":" + settings.CACHE_RELEASE)
    assert cache.make_key("k").startswith(settings.CACHE_KEY_PREFIX + ":")


def test_the_release_changes_with_the_code_the_templates_and_the_secret_key(tmp_path):
    from config.release import release_digest

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text("x = 1\n")
    (tmp_path / "app" / "page.html").write_text("<p>{{ x }}</p>\n")
    (tmp_path / "app" / "tests").mkdir()
    first = release_digest(tmp_path, "key")
    assert release_digest(tmp_path, "key") == first  # the same release on every machine
    (tmp_path / "app" / "tests" / "test_views.py").write_text("def test(): pass\n")
    (tmp_path / "notes.md").write_text("not code\n")
    assert release_digest(tmp_path, "key") == first  # tests and docs are not the release
    (tmp_path / "app" / "page.html").write_text("<p>{{ y }}</p>\n")
    second = release_digest(tmp_path, "key")
    assert second != first
    (tmp_path / "app" / "views.py").write_text("x = 2\n")
    assert release_digest(tmp_path, "key") != second
    assert release_digest(tmp_path, "another key") != release_digest(tmp_path, "key")


def test_an_entry_written_by_the_previous_release_is_never_read(settings):
    from django.core.cache.backends.locmem import LocMemCache

    old = LocMemCache("release-test", {"KEY_PREFIX": "chibo:aaaaaaaaaa"})
    new = LocMemCache("release-test", {"KEY_PREFIX": "chibo:bbbbbbbbbb"})
    old.set("auth:user:7", "a pickle of the old User class")
    assert new.get("auth:user:7") is None


def test_clear_cache_on_the_embedded_default_reaches_the_server(epoch_file):
    from django.core.management import call_command

    from core.cache import touch_epoch

    touch_epoch()  # a write just before (another command's, another test's) ...
    epoch_file.unlink(missing_ok=True)
    call_command("clear_cache", stdout=io.StringIO())
    assert epoch_file.exists()  # ... does not defer the command's own signal to a timer
