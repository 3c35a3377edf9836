"""Service health: the database and the published results."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from api import repository as repo
from api.config import Settings
from api.schemas.health import HealthResponse, HealthStatus, ServiceHealth
from api.services.results import RunStore
from servicekit.timestamps import utc_now

_RANK: dict[HealthStatus, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}


def database_health(session_factory: sessionmaker[Session]) -> ServiceHealth:
    started = time.perf_counter()
    try:
        with session_factory() as session:
            repo.ping(session)
    except Exception as exc:  # the message names the failure class only, never the URL
        return ServiceHealth(
            name="database",
            status="unhealthy",
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            message=f"database unreachable ({type(exc).__name__})",
        )
    return ServiceHealth(name="database", status="healthy", latency_ms=round((time.perf_counter() - started) * 1000, 2))


def results_health(store: RunStore) -> ServiceHealth:
    status = store.status()
    return ServiceHealth(name="results", status=status.state, message=status.message)


def overall(settings: Settings, services: list[ServiceHealth]) -> HealthResponse:
    worst: HealthStatus = max((s.status for s in services), key=lambda s: _RANK[s], default="healthy")
    return HealthResponse(
        status=worst,
        version=settings.app_version,
        environment=settings.app_env,
        services={s.name: s for s in services},
        timestamp=utc_now(),
    )
