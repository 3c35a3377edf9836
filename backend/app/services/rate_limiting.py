"""Which rate limiter the API runs, from its settings: Redis when REDIS_URL is set, else the database,
or one process's memory (RATE_LIMIT_BACKEND), or none."""

from __future__ import annotations

import structlog
from sqlalchemy import Engine

from app.core.config import Settings
from app.core.ratelimit import Backend, MemoryBackend, RateLimiter, RedisBackend
from app.db.rate_limits import DatabaseBackend

log = structlog.get_logger(__name__)


def build_rate_limiter(settings: Settings, engine: Engine) -> RateLimiter | None:
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
        )
    elif choice == "database":
        backend = DatabaseBackend(engine, fail_open_seconds=settings.rate_limit_fail_open_seconds)
    else:
        backend = MemoryBackend()
    log.info("rate_limit", backend=backend.name, limit=limit, window_seconds=window)
    return RateLimiter(backend, limit, window)
