"""Fixed-window counters both services count requests and failures with, and what they do when the
store is out.

A window runs for ``window`` seconds from its start. Where the window starts is the caller's choice:

* aligned to the Unix epoch (``start = now // window * window``, :func:`servicekit.ratelimit.fixed_window`):
  every key's windows begin together, and replicas agree on them without talking (UniTrack's per-user
  limit, ``unitrack:rl:<scope>:<user>:<window start>`` in Redis);
* at the key's first hit (``hit_since_first``): the window opens with the first failure and closes
  ``window`` seconds later (forecast's login throttle, ``login:fail:<key>`` in Redis).

Either way a count only grows inside its window, and a hit after the window ends starts a new one.
:class:`MemoryCounter` counts in this process (one replica only); :class:`RedisCounter` counts in Redis
(every replica) and lets Redis errors through; :class:`RedisBackend` is the rate limiter's Redis
backend, which fails open for :class:`FailOpen`'s period instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger(__name__)

Clock = Callable[[], float]
# Redis keeps an epoch-aligned window's key a little past its end (a replica's clock may be behind).
REDIS_EXPIRY_SLACK_SECONDS = 5


class FailOpen:
    """Remembers a store's failure for ``seconds`` so an outage is paid for (one timeout, one warning)
    once per period rather than on every request."""

    def __init__(
        self,
        seconds: float,
        clock: Clock = time.monotonic,
        *,
        event: str = "rate_limit_backend_unavailable_failing_open",
    ) -> None:
        self._seconds = seconds
        self._clock = clock
        self._event = event
        self._until = 0.0

    @property
    def active(self) -> bool:
        """True while the last failure's period lasts: do not ask the store."""
        return self._clock() < self._until

    def trip(self, backend: str, exc: BaseException, **fields: Any) -> None:
        self._until = self._clock() + self._seconds
        log.warning(self._event, backend=backend, error=type(exc).__name__, retry_in_seconds=self._seconds, **fields)


class MemoryCounter:
    """Counts in this process: correct for exactly one replica (and one worker). Bounded: past
    ``max_keys`` the keys whose window has ended go first, then the oldest."""

    name = "memory"
    counts_in_write = False  # the rate limiter's Backend protocol (servicekit/ratelimit.py)

    def __init__(self, clock: Clock = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (end of its window, count)

    def hit(self, key: str, window_start: float, window: float, amount: int = 1) -> int:
        """Counts ``amount`` for ``key`` in the window that starts at ``window_start``; the new count.
        A hit that falls inside the key's current window (a replica with a slower clock, too) counts
        there; otherwise its own window starts afresh."""
        with self._lock:
            end, count = self._windows.get(key, (window_start, 0))
            if window_start >= end:
                end, count = window_start + window, 0
            count += amount
            self._windows[key] = (end, count)
            if len(self._windows) > self._max_keys:
                self._bound(window_start)
            return count

    def hit_since_first(self, key: str, window: float, amount: int = 1) -> int:
        """Counts in a window that the key's first hit opens (and a hit after it ends reopens)."""
        return self.hit(key, self._clock(), window, amount)

    def forget(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def _bound(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        while len(self._windows) > self._max_keys:  # a spray of fresh keys: the oldest go
            self._windows.pop(next(iter(self._windows)))


class RedisCounter:
    """Counts in Redis, shared by every replica: one ``INCRBY`` and ``EXPIRE`` in one MULTI/EXEC per
    hit. Redis errors propagate (wrap it in :class:`FailOpen` or a fallback)."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def hit(self, key: str, window_start: int, window: int, amount: int = 1) -> int:
        """Epoch-aligned windows: one Redis key per window, ``<prefix><key>:<window_start>``."""
        return self._incr(f"{self.prefix}{key}:{window_start}", amount, window + REDIS_EXPIRY_SLACK_SECONDS, False)

    def hit_since_first(self, key: str, window: int, amount: int = 1) -> int:
        """A window the first hit opens: the key ``<prefix><key>`` expires ``window`` seconds after it."""
        return self._incr(self.name_for(key), amount, window, True)

    def name_for(self, key: str) -> str:
        """The Redis key ``hit_since_first`` counts ``key`` in (to delete it with others in one call)."""
        return f"{self.prefix}{key}"

    def forget(self, key: str) -> None:
        self.client.delete(self.name_for(key))

    def _incr(self, name: str, amount: int, expire_seconds: int, keep_first_expiry: bool) -> int:
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(name, amount)
        pipe.expire(name, expire_seconds, nx=keep_first_expiry)
        count, _ = pipe.execute()
        return int(count)


class RedisBackend:
    """The rate limiter's Redis backend: epoch-aligned windows, and any Redis error (down, timed out)
    lets the request through, warns once and leaves Redis alone for the fail-open period."""

    name = "redis"
    counts_in_write = False

    def __init__(
        self,
        client: Any,
        *,
        fail_open_seconds: float,
        prefix: str,
        clock: Clock = time.monotonic,  # tests end the fail-open period without waiting for it
    ) -> None:
        self.counter = RedisCounter(client, prefix)
        self._fail_open = FailOpen(fail_open_seconds, clock)

    @classmethod
    def from_url(
        cls, url: str, *, timeout: float, fail_open_seconds: float, prefix: str, clock: Clock = time.monotonic
    ) -> RedisBackend:
        import redis

        client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            health_check_interval=30,
        )
        return cls(client, fail_open_seconds=fail_open_seconds, prefix=prefix, clock=clock)

    def hit(self, key: str, window_start: int, window: int, amount: int = 1) -> int | None:
        """The new count, or None to let the request through (Redis unavailable)."""
        if self._fail_open.active:
            return None
        try:
            return self.counter.hit(key, window_start, window, amount)
        except Exception as exc:  # redis.RedisError, OSError, ...: never take the API down
            self._fail_open.trip(self.name, exc)
            return None

    def close(self) -> None:
        try:
            self.counter.client.close()
        except Exception:  # pragma: no cover - best effort at shutdown
            pass
