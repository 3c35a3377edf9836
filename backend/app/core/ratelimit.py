"""Per-user rate limit for /predict and /whatif (one shared budget per user).

Fixed windows: at most ``N`` requests per user in each window of ``W`` seconds aligned to the Unix
epoch (``RATE_LIMIT_PREDICT="60/minute"``). A user can therefore make up to 2N requests across a
window boundary; in exchange each check is a single atomic operation:

* ``redis``     ``INCR`` + ``EXPIRE`` in one MULTI/EXEC on ``unitrack:rl:<scope>:<user>:<window>``;
                shared by every replica. Any Redis error (down, timeout) fails OPEN: the request is
                let through, a warning is logged (at most once per fail-open period) and Redis is
                not asked again for ``RATE_LIMIT_FAIL_OPEN_SECONDS``, so an outage costs at most
                one ``REDIS_TIMEOUT_SECONDS`` per period, never the API.
* ``database``  (app/db/rate_limits.py) one upsert on the ``rate_limits`` table (one row per user, reset in place when the
                window moves on); shared by every replica. On PostgreSQL the upsert is part of the
                single autocommit statement that stores the inference (a :class:`Quota` handed to
                the inference store), so counting costs no extra round trip and a limited request
                stores nothing. Elsewhere (SQLite, direct calls) it runs in its own short
                autocommit transaction. If the database is down the request fails with 503 like
                any other; other errors of the separate upsert fail open with a warning.
* ``memory``    a dict in this process: correct for exactly one replica, documented as such.

Counted in the write or checked before the endpoint body, a limited request stores nothing.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from servicekit.errors import APIError

log = structlog.get_logger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets (>= 1)

    @classmethod
    def for_count(cls, count: int, limit: int, retry_after: int) -> Decision:
        """The decision once this window's count (this request included) is known."""
        return cls(count <= limit, limit, max(0, limit - count), retry_after)

    def enforce(self, scope: str) -> None:
        if not self.allowed:
            log.info("rate_limited", scope=scope, retry_after=self.retry_after)
            raise RateLimited(self)


class RateLimited(APIError):
    def __init__(self, decision: Decision):
        super().__init__(
            429,
            # The wait is in Retry-After; the message stays the same for every request.
            f"Too many requests: the limit is {decision.limit} per window; retry after the "
            "number of seconds in Retry-After",
            error="rate_limited",
            headers={
                "Retry-After": str(decision.retry_after),
                "X-RateLimit-Limit": str(decision.limit),
                "X-RateLimit-Remaining": "0",
            },
        )


class _OverLimit:
    """Keys this process has seen over their limit, until their window ends.

    A fixed window's count only grows, so once a key is over the limit it stays over until the
    window ends: its later requests can be refused before any model or database work.
    """

    def __init__(self, clock: Clock, max_keys: int = 100_000):
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def mark(self, key: str, until: float) -> None:
        with self._lock:
            if len(self._until) >= self._max_keys:
                now = self._clock()
                self._until = {k: t for k, t in self._until.items() if t > now}
            self._until[key] = until

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key``'s window ends, or None when it is not known to be over."""
        until = self._until.get(key)
        if until is None:
            return None
        remaining = until - self._clock()
        return max(1, math.ceil(remaining)) if remaining > 0 else None


@dataclass(frozen=True)
class Quota:
    """One request to count inside the write it guards (the database backend on PostgreSQL)."""

    scope: str
    subject: str
    window_start: int
    window: int
    limit: int
    retry_after: int
    over_limit: _OverLimit = field(compare=False, repr=False)
    amount: int = 1  # requests this write counts: a batch counts its items

    @property
    def key(self) -> str:
        return f"{self.scope}:{self.subject}"

    def enforce(self, count: int) -> None:
        """Raise 429 if ``count`` (this window's count, this request included) is over the limit."""
        if count > self.limit:
            self.over_limit.mark(self.key, self.window_start + self.window)
        Decision.for_count(count, self.limit, self.retry_after).enforce(self.scope)


class Backend(Protocol):
    name: str
    # True when the inference store counts the request in its own write (the database backend on
    # PostgreSQL, app/db/rate_limits.py): the limiter then hands out a Quota instead of counting.
    counts_in_write: bool

    def hit(self, key: str, window_start: int, window: int, amount: int = 1) -> int | None:
        """Count ``amount`` requests for ``key`` in this window; the new count, or None to fail open."""


class RateLimiter:
    def __init__(self, backend: Backend, limit: int, window: int, *, clock: Clock = time.time):
        self.backend = backend
        self.limit = limit
        self.window = window
        self._clock = clock
        self._over_limit = _OverLimit(clock)

    @property
    def counts_in_write(self) -> bool:
        """True when requests are counted by the write itself (see :meth:`quota`)."""
        return self.backend.counts_in_write

    def _window(self) -> tuple[int, int]:
        now = self._clock()
        window_start = int(now // self.window) * self.window
        return window_start, max(1, math.ceil(window_start + self.window - now))

    def quota(self, scope: str, subject: str) -> Quota:
        """This request's slot, for the inference store to count in the same statement as its write.

        Raises 429 at once, with no I/O, when this process already saw the key over its limit in
        the current window (an abusive caller costs no inference and no round trip).
        """
        key = f"{scope}:{subject}"
        known_wait = self._over_limit.retry_after(key)
        if known_wait is not None:
            Decision(False, self.limit, 0, known_wait).enforce(scope)
        window_start, retry_after = self._window()
        return Quota(scope, subject, window_start, self.window, self.limit, retry_after, self._over_limit)

    def check(self, scope: str, subject: str, amount: int = 1) -> Decision:
        window_start, retry_after = self._window()
        count = self.backend.hit(f"{scope}:{subject}", window_start, self.window, amount)
        if count is None:  # backend unavailable: fail open
            return Decision(True, self.limit, self.limit, retry_after)
        return Decision.for_count(count, self.limit, retry_after)

    def enforce(self, scope: str, subject: str, amount: int = 1) -> None:
        self.check(scope, subject, amount).enforce(scope)


class MemoryBackend:
    """Per process. Only correct with a single replica (and a single worker)."""

    name = "memory"
    counts_in_write = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, window_start: int, window: int, amount: int = 1) -> int:
        with self._lock:
            start, count = self._counts.get(key, (window_start, 0))
            count = count + amount if start >= window_start else amount
            self._counts[key] = (max(start, window_start), count)
            if len(self._counts) > 100_000:  # forget finished windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] >= window_start}
            return count


class FailOpen:
    """Remembers a backend failure for a while so an outage is not paid for on every request."""

    def __init__(self, seconds: float, clock: Clock = time.monotonic):
        self._seconds = seconds
        self._clock = clock
        self._until = 0.0

    @property
    def active(self) -> bool:
        return self._clock() < self._until

    def trip(self, backend: str, exc: BaseException) -> None:
        self._until = self._clock() + self._seconds
        log.warning(
            "rate_limit_backend_unavailable_failing_open",
            backend=backend,
            error=type(exc).__name__,
            retry_in_seconds=self._seconds,
        )


class RedisBackend:
    name = "redis"
    counts_in_write = False

    def __init__(
        self,
        client: Any,
        *,
        fail_open_seconds: float,
        prefix: str = "unitrack:rl:",
        clock: Clock = time.monotonic,  # tests end the fail-open period without waiting for it
    ):
        self._redis = client
        self._prefix = prefix
        self._fail_open = FailOpen(fail_open_seconds, clock)

    @classmethod
    def from_url(
        cls, url: str, *, timeout: float, fail_open_seconds: float, clock: Clock = time.monotonic
    ) -> RedisBackend:
        import redis

        client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            health_check_interval=30,
        )
        return cls(client, fail_open_seconds=fail_open_seconds, clock=clock)

    def hit(self, key: str, window_start: int, window: int, amount: int = 1) -> int | None:
        if self._fail_open.active:
            return None
        name = f"{self._prefix}{key}:{window_start}"
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(name, amount)
            pipe.expire(name, window + 5)
            count, _ = pipe.execute()
            return int(count)
        except Exception as exc:  # redis.RedisError, OSError, ...: never take the API down
            self._fail_open.trip(self.name, exc)
            return None

    def close(self) -> None:
        try:
            self._redis.close()
        except Exception:  # pragma: no cover - best effort at shutdown
            pass
