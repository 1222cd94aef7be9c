"""core.ratelimit: the one fixed-window limiter that forum, courses and pledges share."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from core import ratelimit


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.25]
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now[0]))  # this module's clock only
    return now


def test_allows_the_limit_then_answers_the_seconds_left_in_the_window(clock):
    assert [ratelimit.hit("t:a", limit=3, period=60) for _ in range(3)] == [0, 0, 0]
    assert ratelimit.hit("t:a", limit=3, period=60) == 60
    clock[0] += 20.5
    assert ratelimit.hit("t:a", limit=3, period=60) == 40  # refused attempts do not extend it


def test_each_key_counts_apart(clock):
    assert ratelimit.hit("t:a", limit=1, period=60) == 0
    assert ratelimit.hit("t:a", limit=1, period=60) > 0
    assert ratelimit.hit("t:b", limit=1, period=60) == 0


def test_a_new_window_opens_when_the_old_one_ends(clock):
    assert ratelimit.hit("t:a", limit=1, period=60) == 0
    assert ratelimit.hit("t:a", limit=1, period=60) > 0
    cache.delete("ratelimit:t:a")  # what the cache does when the window's timeout passes
    clock[0] += 61
    assert ratelimit.hit("t:a", limit=1, period=60) == 0
    assert ratelimit.hit("t:a", limit=1, period=60) == 60


def test_the_wait_is_at_least_one_second(clock):
    assert ratelimit.hit("t:a", limit=0, period=60) == 60
    clock[0] += 59.9
    assert ratelimit.hit("t:a", limit=0, period=60) == 1


def test_a_counter_that_expired_between_add_and_incr_starts_afresh(clock, monkeypatch):
    monkeypatch.setattr(ratelimit.cache, "add", lambda *args, **kwargs: False)  # as if it vanished
    assert ratelimit.hit("t:a", limit=1, period=60) == 0
    monkeypatch.undo()
    assert cache.get("ratelimit:t:a") % ratelimit._COUNT == 1


def test_wait_reads_the_count_without_adding_to_it(clock):
    """For limits that count failures only (invitation codes): ask before, count after."""
    assert ratelimit.wait("t:f", limit=2, period=60) == 0  # nothing counted yet
    ratelimit.hit("t:f", limit=2, period=60)
    assert ratelimit.wait("t:f", limit=2, period=60) == 0
    assert ratelimit.wait("t:f", limit=2, period=60) == 0  # asking does not count
    ratelimit.hit("t:f", limit=2, period=60)
    clock[0] += 15
    assert ratelimit.wait("t:f", limit=2, period=60) == 45
