"""Failed-login throttling per (username, client IP), plus a larger budget per client IP alone.

The per-IP budget stops one address from spraying fresh usernames, each of which would otherwise start
a new (username, IP) budget and cost a full argon2 verification.

The state lives outside the request's transaction on purpose: a failed login ends in a 401, which rolls
the request session back, yet the failure must still count. The database backend uses its own short
transaction; with REDIS_URL the counters live in Redis. Either way, every replica shares them.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api import repository as repo
from api.config import Settings
from servicekit.timestamps import as_utc, utc_now


class LoginThrottle(Protocol):
    def retry_after(self, key: str) -> int | None: ...
    def record_failure(self, key: str, max_failures: int | None = None) -> None: ...
    def reset(self, key: str) -> None: ...


def throttle_key(username: str, client_ip: str) -> str:
    return f"user:{username.replace(chr(0), '').strip().lower()[:150]}|{client_ip}"


def address_key(client_ip: str) -> str:
    # Prefixes keep the two kinds of key apart whatever a username contains.
    return f"addr:{client_ip}"


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

    def record_failure(self, key: str, max_failures: int | None = None) -> None:
        for attempt in range(2):
            try:
                with self.session_factory() as session, session.begin():
                    self._count(session, key, max_failures or self.max_failures)
                return
            except IntegrityError:  # two first failures raced on the insert: count again
                if attempt:
                    raise

    def _count(self, session: Session, key: str, max_failures: int) -> None:
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

    def reset(self, key: str) -> None:
        with self.session_factory() as session, session.begin():
            repo.delete_login_failure(session, key)


class RedisThrottle:
    def __init__(self, settings: Settings, redis_url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.max_failures = settings.login_max_failures
        self.window = settings.login_window_seconds
        self.lockout = settings.login_lockout_seconds

    def retry_after(self, key: str) -> int | None:
        ttl = int(self.client.ttl(f"login:lock:{key}"))
        return ttl if ttl > 0 else None

    def record_failure(self, key: str, max_failures: int | None = None) -> None:
        count_key = f"login:fail:{key}"
        pipe = self.client.pipeline()
        pipe.incr(count_key)
        pipe.expire(count_key, self.window, nx=True)
        failures = int(pipe.execute()[0])
        if failures >= (max_failures or self.max_failures):
            self.client.set(f"login:lock:{key}", "1", ex=self.lockout, nx=True)
            self.client.delete(count_key)

    def reset(self, key: str) -> None:
        self.client.delete(f"login:fail:{key}", f"login:lock:{key}")


def build_throttle(settings: Settings, session_factory: sessionmaker[Session]) -> LoginThrottle:
    if settings.redis_url:
        return RedisThrottle(settings, settings.redis_url)
    return DatabaseThrottle(settings, session_factory)
