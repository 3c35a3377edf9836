"""A per-subject rate limit in fixed windows aligned to the Unix epoch: at most ``limit`` requests per
subject in each window of ``window`` seconds. A subject can therefore make up to 2 × limit requests
across a window boundary; in exchange each check is one atomic operation on a counter
(servicekit/counters.py: memory, Redis; a service may add its own, such as UniTrack's database table).

Over the limit is a 429 ``rate_limited`` in the one error shape, with ``Retry-After`` (seconds until
the window ends), ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining: 0``. A backend that cannot count
answers None and the request goes through (fail open).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from servicekit.counters import Clock
from servicekit.errors import APIError

log = structlog.get_logger(__name__)


def fixed_window(now: float, window: int) -> tuple[int, int]:
    """The start of the epoch-aligned window holding ``now``, and the whole seconds until it ends (>= 1)."""
    start = int(now // window) * window
    return start, max(1, math.ceil(start + window - now))


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
    def __init__(self, decision: Decision) -> None:
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


class OverLimit:
    """Keys this process has seen over their limit, until their window ends.

    A fixed window's count only grows, so once a key is over the limit it stays over until the
    window ends: its later requests can be refused before any work or round trip.
    """

    def __init__(self, clock: Clock, max_keys: int = 100_000) -> None:
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
    """One request to count inside the write it guards (a backend with ``counts_in_write``)."""

    scope: str
    subject: str
    window_start: int
    window: int
    limit: int
    retry_after: int
    over_limit: OverLimit = field(compare=False, repr=False)
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
    # True when the service's store counts the request in its own write (UniTrack's database
    # backend on PostgreSQL): the limiter then hands out a Quota instead of counting.
    counts_in_write: bool

    def hit(self, key: str, window_start: int, window: int, amount: int = 1) -> int | None:
        """Count ``amount`` requests for ``key`` in this window; the new count, or None to fail open."""


class RateLimiter:
    def __init__(self, backend: Backend, limit: int, window: int, *, clock: Clock = time.time) -> None:
        self.backend = backend
        self.limit = limit
        self.window = window
        self._clock = clock
        self._over_limit = OverLimit(clock)

    @property
    def counts_in_write(self) -> bool:
        """True when requests are counted by the write itself (see :meth:`quota`)."""
        return self.backend.counts_in_write

    def quota(self, scope: str, subject: str) -> Quota:
        """This request's slot, for the store to count in the same statement as its write.

        Raises 429 at once, with no I/O, when this process already saw the key over its limit in
        the current window (an abusive caller costs no work and no round trip).
        """
        key = f"{scope}:{subject}"
        known_wait = self._over_limit.retry_after(key)
        if known_wait is not None:
            Decision(False, self.limit, 0, known_wait).enforce(scope)
        window_start, retry_after = fixed_window(self._clock(), self.window)
        return Quota(scope, subject, window_start, self.window, self.limit, retry_after, self._over_limit)

    def check(self, scope: str, subject: str, amount: int = 1) -> Decision:
        window_start, retry_after = fixed_window(self._clock(), self.window)
        count = self.backend.hit(f"{scope}:{subject}", window_start, self.window, amount)
        if count is None:  # backend unavailable: fail open
            return Decision(True, self.limit, self.limit, retry_after)
        return Decision.for_count(count, self.limit, retry_after)

    def enforce(self, scope: str, subject: str, amount: int = 1) -> None:
        self.check(scope, subject, amount).enforce(scope)
