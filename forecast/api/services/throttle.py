"""Failed-login throttling at three levels:

* per (username, client IP): LOGIN_MAX_FAILURES in the window locks that pair out for LOGIN_LOCKOUT_SECONDS;
* per client IP alone, a larger budget: stops one address from spraying fresh usernames, each of which
  would otherwise start a new (username, IP) budget and cost a full argon2 verification;
* per account, across every address: after LOGIN_ACCOUNT_BACKOFF_AFTER failures in the window each
  further failure makes the account wait 1, 2, 4 … seconds (capped at LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS)
  before the next attempt. Guessing spread over many addresses slows to a crawl, while the owner, whose
  own (username, address) pair is not locked, gets in after a short wait rather than a long lockout.

The state lives outside the request's transaction on purpose: a failed login ends in a 401, which rolls
the request session back, yet the failure must still count. The database backend uses its own short
transaction; with REDIS_URL the counters live in Redis. Either way, every replica shares them.

A Redis that fails (down, timed out, cut) never turns a login into a 500: the throttle falls back to
counting in this process for LOGIN_THROTTLE_FALLBACK_SECONDS, logs that once per period, then asks
Redis again. (Without Redis the throttle lives in the database, which a login needs anyway: an outage
there is the login's 503.)
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api import repository as repo
from api.config import Settings
from servicekit.counters import FailOpen, MemoryCounter, RedisCounter
from servicekit.timestamps import as_utc, utc_now


class LoginThrottle(Protocol):
    def retry_after(self, key: str) -> int | None: ...

    def record_failure(self, key: str, max_failures: int | None = None) -> int:
        """Counts a failure; the failures in the current window (at max_failures the key is locked)."""

    def lock(self, key: str, seconds: int) -> None:
        """Locks ``key`` for ``seconds`` from now (a longer lock already there stays)."""

    def reset(self, key: str) -> None: ...


def _account(username: str) -> str:
    """One account, however its name is typed (case, surrounding spaces, NULs), bounded in length."""
    return username.replace(chr(0), "").strip().lower()[:150]


def throttle_key(username: str, client_ip: str) -> str:
    return f"user:{_account(username)}|{client_ip}"


def address_key(client_ip: str) -> str:
    # Prefixes keep the kinds of key apart whatever a username contains.
    return f"addr:{client_ip}"


def account_key(username: str) -> str:
    return f"acct:{_account(username)}"


def account_lock_key(username: str) -> str:
    return f"acct-wait:{_account(username)}"


def account_backoff_seconds(failures: int, after: int, cap: int) -> int | None:
    """1, 2, 4 … seconds for the failures past ``after``; None before."""
    if failures < after:
        return None
    wait: int = min(cap, 2 ** min(failures - after, 30))
    return wait


# A count that never locks (the per-account counter, whose waits come from account_backoff_seconds).
NEVER_LOCK = 2**31 - 1


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


class DatabaseThrottle:
    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self.max_failures = settings.login_max_failures
        self.window = timedelta(seconds=settings.login_window_seconds)
        self.lockout = timedelta(seconds=settings.login_lockout_seconds)
        self.session_factory = session_factory

    def retry_after(self, key: str) -> int | None:
        with self.session_factory() as session:
            row = repo.get_login_failure(session, key)
            now = utc_now()
            if row is not None and row.locked_until is not None and as_utc(row.locked_until) > now:
                return _seconds_until(as_utc(row.locked_until), now)
        return None

    def record_failure(self, key: str, max_failures: int | None = None) -> int:
        for attempt in range(2):
            try:
                with self.session_factory() as session, session.begin():
                    return self._count(session, key, max_failures or self.max_failures)
            except IntegrityError:  # two first failures raced on the insert: count again
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def lock(self, key: str, seconds: int) -> None:
        for attempt in range(2):
            try:
                with self.session_factory() as session, session.begin():
                    now = utc_now()
                    row = repo.get_login_failure(session, key, for_update=True) or repo.add_login_failure(
                        session, key, now
                    )
                    until = now + timedelta(seconds=seconds)
                    if row.locked_until is None or as_utc(row.locked_until) < until:
                        row.locked_until = until
                return
            except IntegrityError:  # raced on the insert: again
                if attempt:
                    raise

    def _count(self, session: Session, key: str, max_failures: int) -> int:
        now = utc_now()
        row = repo.get_login_failure(session, key, for_update=True)
        if row is None:
            row = repo.add_login_failure(session, key, now)
            repo.prune_login_failures(session, now - self.window - self.lockout)
        locked_until = as_utc(row.locked_until) if row.locked_until else None
        window_over = as_utc(row.window_started_at) + self.window < now
        if (locked_until is not None and locked_until <= now) or (locked_until is None and window_over):
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= max_failures and row.locked_until is None:
            row.locked_until = now + self.lockout
        return int(row.failures)

    def reset(self, key: str) -> None:
        with self.session_factory() as session, session.begin():
            repo.delete_login_failure(session, key)


class RedisThrottle:
    """Failures counted in Redis (``login:fail:<key>``, a window the first failure opens), locks as keys
    that expire (``login:lock:<key>``)."""

    def __init__(self, settings: Settings, redis_url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.failures = RedisCounter(self.client, "login:fail:")
        self.max_failures = settings.login_max_failures
        self.window = settings.login_window_seconds
        self.lockout = settings.login_lockout_seconds

    def retry_after(self, key: str) -> int | None:
        ttl = int(self.client.ttl(f"login:lock:{key}"))
        return ttl if ttl > 0 else None

    def record_failure(self, key: str, max_failures: int | None = None) -> int:
        failures = self.failures.hit_since_first(key, self.window)
        if failures >= (max_failures or self.max_failures):
            self.client.set(f"login:lock:{key}", "1", ex=self.lockout, nx=True)
            self.failures.forget(key)
        return failures

    def lock(self, key: str, seconds: int) -> None:
        lock_key = f"login:lock:{key}"
        if int(self.client.ttl(lock_key)) < seconds:
            self.client.set(lock_key, "1", ex=seconds)

    def reset(self, key: str) -> None:
        self.client.delete(self.failures.name_for(key), f"login:lock:{key}")


class MemoryThrottle:
    """The same fixed-window count and lockout, in this process only: the fallback while Redis is out."""

    MAX_KEYS = 100_000  # bounded under a spray of fresh usernames: the oldest keys go first

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = settings.login_max_failures
        self.window = settings.login_window_seconds
        self.lockout = settings.login_lockout_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = MemoryCounter(clock, self.MAX_KEYS)
        self._locked_until: dict[str, float] = {}

    def retry_after(self, key: str) -> int | None:
        until = self._locked_until.get(key)
        now = self._clock()
        return max(1, math.ceil(until - now)) if until is not None and until > now else None

    def record_failure(self, key: str, max_failures: int | None = None) -> int:
        count = self._failures.hit_since_first(key, self.window)
        if count >= (max_failures or self.max_failures):
            self._failures.forget(key)
            self._lock_until(key, self._clock() + self.lockout)
        return count

    def lock(self, key: str, seconds: int) -> None:
        self._lock_until(key, self._clock() + seconds, keep_longer=True)

    def _lock_until(self, key: str, until: float, keep_longer: bool = False) -> None:
        with self._lock:
            if keep_longer:
                until = max(until, self._locked_until.get(key, until))
            self._locked_until[key] = until
            while len(self._locked_until) > self.MAX_KEYS:
                self._locked_until.pop(next(iter(self._locked_until)))

    def reset(self, key: str) -> None:
        self._failures.forget(key)
        with self._lock:
            self._locked_until.pop(key, None)


class FallbackThrottle:
    """Asks ``primary`` (Redis); when it fails, ``fallback`` answers for ``period`` seconds."""

    def __init__(
        self,
        primary: LoginThrottle,
        fallback: LoginThrottle,
        period: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary, self.fallback = primary, fallback
        self._primary_down = FailOpen(period, clock, event="login_throttle_store_unavailable")

    def _call(self, method: str, *args: Any) -> Any:
        if not self._primary_down.active:
            try:
                return getattr(self.primary, method)(*args)
            except Exception as exc:  # redis.RedisError, OSError, a timeout: never the login's 500
                self._primary_down.trip(type(self.primary).__name__, exc, fallback="in-process")
        return getattr(self.fallback, method)(*args)

    def retry_after(self, key: str) -> int | None:
        result: int | None = self._call("retry_after", key)
        return result

    def record_failure(self, key: str, max_failures: int | None = None) -> int:
        failures: int = self._call("record_failure", key, max_failures)
        return failures

    def lock(self, key: str, seconds: int) -> None:
        self._call("lock", key, seconds)

    def reset(self, key: str) -> None:
        self._call("reset", key)


def build_throttle(settings: Settings, session_factory: sessionmaker[Session]) -> LoginThrottle:
    if settings.redis_url:
        return FallbackThrottle(
            RedisThrottle(settings, settings.redis_url.get_secret_value()),
            MemoryThrottle(settings),
            settings.login_throttle_fallback_seconds,
        )
    return DatabaseThrottle(settings, session_factory)
