"""Liveness (/healthz) and readiness (/readyz)."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.core.errors import error_body
from app.db import repository
from app.db.schemas import HealthResponse, ReadinessResponse, error_responses

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


@router.get("/healthz", response_model=HealthResponse)
def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


def _database_status(request: Request) -> dict[str, Any]:
    try:
        with request.app.state.session_factory() as session:
            repository.ping(session)
    except Exception as exc:
        log.warning("readiness_database_down", error=type(exc).__name__)
        return {"status": "unavailable"}
    return {"status": "ok", "dialect": request.app.state.db_engine.dialect.name}


@router.get("/readyz", response_model=ReadinessResponse, responses=error_responses(503))
def readyz(request: Request) -> Any:
    state = request.app.state
    engine = getattr(state, "model_engine", None)
    model: dict[str, Any]
    if engine is None:
        model = {"mode": "unloaded", "version": None}
    else:
        # A public endpoint: publish what operators need, not file system paths.
        status = engine.status()
        model = {k: status.get(k) for k in ("mode", "version", "reason", "features")}
    auth = {"mode": state.settings.auth_mode, "jwks": state.verifier.jwks.status()}
    database = _database_status(request)
    checks = {"database": database, "model": model, "auth": auth}
    if database["status"] != "ok":
        body = error_body(503, "Database is unavailable", error="not_ready")
        return JSONResponse({**body, **checks}, status_code=503)
    status = "ok" if model.get("mode") == "real" else "degraded"
    return ReadinessResponse(status=status, **checks)
