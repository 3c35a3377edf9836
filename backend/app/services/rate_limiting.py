"""UniTrack's per-user rate limit for /predict and /whatif (one shared budget per user), and which
backend counts it, from the settings.

Fixed windows aligned to the Unix epoch (servicekit/ratelimit.py): at most ``N`` requests per user in
each window of ``W`` seconds (``RATE_LIMIT_PREDICT="60/minute"``). The backend is Redis when REDIS_URL
is set, else the database, or one process's memory (RATE_LIMIT_BACKEND), or none:

* ``redis``     ``INCRBY`` + ``EXPIRE`` in one MULTI/EXEC on ``unitrack:rl:<scope>:<user>:<window>``
                (servicekit/counters.py); shared by every replica. Any Redis error (down, timeout)
                fails OPEN: the request is let through, a warning is logged (at most once per
                fail-open period) and Redis is not asked again for ``RATE_LIMIT_FAIL_OPEN_SECONDS``,
                so an outage costs at most one ``REDIS_TIMEOUT_SECONDS`` per period, never the API.
* ``database``  (app/db/rate_limits.py) one upsert on the ``rate_limits`` table (one row per user, reset
                in place when the window moves on); shared by every replica. On PostgreSQL the upsert
                is part of the single autocommit statement that stores the inference (a ``Quota``
                handed to the inference store), so counting costs no extra round trip and a limited
                request stores nothing. Elsewhere (SQLite, direct calls) it runs in its own short
                autocommit transaction. If the database is down the request fails with 503 like any
                other; other errors of the separate upsert fail open with a warning.
* ``memory``    a dict in this process: correct for exactly one replica, documented as such.

Counted in the write or checked before the endpoint body, a limited request stores nothing.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.db.rate_limits import DatabaseBackend
from servicekit.counters import MemoryCounter, RedisBackend
from servicekit.ratelimit import Backend, RateLimiter

log = structlog.get_logger(__name__)
REDIS_PREFIX = "unitrack:rl:"


def build_rate_limiter(settings: Settings, engine: AsyncEngine) -> RateLimiter | None:
    rate = settings.rate_limit
    if rate is None:
        return None
    limit, window = rate
    choice = settings.rate_limit_backend
    if choice == "auto":
        choice = "redis" if settings.redis_url is not None else "database"
    backend: Backend
    if choice == "redis":
        assert settings.redis_url is not None
        backend = RedisBackend.from_url(
            settings.redis_url.get_secret_value(),
            timeout=settings.redis_timeout_seconds,
            fail_open_seconds=settings.rate_limit_fail_open_seconds,
            prefix=REDIS_PREFIX,
        )
    elif choice == "database":
        backend = DatabaseBackend(engine, fail_open_seconds=settings.rate_limit_fail_open_seconds)
    else:
        backend = MemoryCounter()
    log.info("rate_limit", backend=backend.name, limit=limit, window_seconds=window)
    return RateLimiter(backend, limit, window)
