"""The kit's fixed-window counters and rate limiter: epoch-aligned windows and windows the first hit
opens, in memory and in Redis, and a store outage that fails open once per period."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis

from servicekit import counters
from servicekit.counters import FailOpen, MemoryCounter, RedisBackend, RedisCounter
from servicekit.ratelimit import RateLimited, RateLimiter, fixed_window
from testkit.clocks import ManualClock
from testkit.services import require_redis

REDIS = "redis://127.0.0.1:6379/15"


class _Warnings:
    """Stands in for the counters module's logger."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.events.append((event, fields))


def test_fixed_windows_are_aligned_to_the_epoch_and_retry_after_rounds_up() -> None:
    assert fixed_window(1_000_000.25, 60) == (999_960, 60 - 40)
    assert fixed_window(120.0, 60) == (120, 60)
    assert fixed_window(179.9, 60) == (120, 1)


def test_memory_counter_counts_per_key_and_starts_afresh_in_the_next_aligned_window() -> None:
    counter = MemoryCounter()
    assert [counter.hit("k", 600, 60) for _ in range(3)] == [1, 2, 3]
    assert counter.hit("k", 600, 60, amount=5) == 8
    assert counter.hit("other", 600, 60) == 1
    assert counter.hit("k", 660, 60) == 1  # the next window
    assert counter.hit("k", 600, 60) == 2  # a replica with a slower clock counts in the newest window


def test_memory_counter_window_opened_by_the_first_hit_lasts_its_length_from_that_hit() -> None:
    clock = ManualClock()
    counter = MemoryCounter(clock)
    clock.advance(7)  # not on any epoch boundary
    assert counter.hit_since_first("k", 10) == 1
    clock.advance(9.9)
    assert counter.hit_since_first("k", 10) == 2
    clock.advance(0.1)  # 10 s after the first hit: its window is over
    assert counter.hit_since_first("k", 10) == 1
    counter.forget("k")
    assert counter.hit_since_first("k", 10) == 1


def test_memory_counter_stays_bounded_dropping_ended_windows_then_the_oldest() -> None:
    counter = MemoryCounter(max_keys=2)
    counter.hit("a", 60, 60)
    counter.hit("ended", 0, 60)  # its window ends at 60
    counter.hit("b", 60, 60)  # three keys: the ended window goes, not the oldest key
    assert counter.hit("a", 60, 60) == 2
    counter.hit("c", 60, 60)  # three live keys (a spray of fresh ones): the oldest goes
    assert counter.hit("b", 60, 60) == 2 and counter.hit("a", 60, 60) == 1


def test_limiter_allows_the_limit_then_refuses_with_retry_after() -> None:
    now = {"t": 1_000_000.25}
    limiter = RateLimiter(MemoryCounter(), 2, 60, clock=lambda: now["t"])
    assert [limiter.check("s", "u").allowed for _ in range(3)] == [True, True, False]
    with pytest.raises(RateLimited) as refused:
        limiter.enforce("s", "u")
    assert refused.value.status_code == 429 and refused.value.error == "rate_limited"
    assert refused.value.headers == {"Retry-After": "20", "X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0"}
    now["t"] += 60
    assert limiter.check("s", "u").allowed


def test_fail_open_is_active_for_its_period_and_warns_once_per_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings = _Warnings()
    monkeypatch.setattr(counters, "log", warnings)
    clock = ManualClock()
    outage = FailOpen(5, clock, event="store_down")
    assert not outage.active
    outage.trip("redis", ConnectionError("refused"), fallback="in-process")
    assert outage.active
    clock.advance(5)
    assert not outage.active
    assert warnings.events == [
        (
            "store_down",
            {"backend": "redis", "error": "ConnectionError", "retry_in_seconds": 5, "fallback": "in-process"},
        )
    ]


def test_redis_counter_counts_aligned_windows_and_windows_the_first_hit_opens() -> None:
    require_redis(REDIS)  # skipped without one, except under CI=true: a failure
    client = redis.Redis.from_url(REDIS)
    prefix = f"kit-test:{uuid.uuid4().hex}:"
    counter = RedisCounter(client, prefix)
    try:
        assert [counter.hit("k", 600, 60) for _ in range(2)] == [1, 2]
        assert counter.hit("k", 660, 60, amount=3) == 3
        assert 60 < client.ttl(f"{prefix}k:600") <= 65
        assert [counter.hit_since_first("f", 30) for _ in range(3)] == [1, 2, 3]
        client.expire(counter.name_for("f"), 100)  # a later hit must not move the window's end
        counter.hit_since_first("f", 30)
        assert 30 < client.ttl(counter.name_for("f")) <= 100
        counter.forget("f")
        assert counter.hit_since_first("f", 30) == 1
    finally:
        keys = client.keys(prefix + "*")
        if keys:
            client.delete(*keys)
        client.close()


def test_redis_backend_fails_open_on_a_dead_server_and_asks_again_after_the_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings = _Warnings()
    monkeypatch.setattr(counters, "log", warnings)
    clock = ManualClock()
    backend = RedisBackend.from_url(
        "redis://127.0.0.1:1/0", timeout=0.2, fail_open_seconds=5, prefix="kit-test:", clock=clock
    )
    limiter = RateLimiter(backend, 1, 60)
    assert all(limiter.check("s", "u").allowed for _ in range(3))  # fail open: never refused
    assert len(warnings.events) == 1  # one attempt, one warning per period
    clock.advance(5)
    assert backend.hit("k", 0, 60) is None
    assert [event for event, _ in warnings.events] == ["rate_limit_backend_unavailable_failing_open"] * 2
    backend.close()
