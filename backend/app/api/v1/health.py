"""Liveness (/healthz) and readiness (/readyz)."""

from __future__ import annotations

from typing import Any, Literal

import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from app.api.deps import AppStateDep
from app.api.schemas import HealthResponse, ReadinessResponse
from app.api.state import AppState
from app.db import repository
from app.db.errors import driver_error_name

router = APIRouter(tags=["health"])
log = structlog.get_logger(__name__)


@router.get("/healthz", response_model=HealthResponse)
async def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


# Uptime monitors and some load balancers probe with HEAD; without this it would be a 405.
@router.head("/healthz", include_in_schema=False)
async def healthz_head() -> Response:
    return Response(status_code=200)


async def _database_status(state: AppState) -> dict[str, Any]:
    # Both ways the API reaches the database, each bounded by its deadlines: the engine (/auth/me,
    # /courses; everything on SQLite) and the inference store (asyncpg's pool on PostgreSQL).
    try:
        async with state.session_factory() as session:
            await repository.ping(session)
        await state.inference_store.ping()
    except Exception as exc:
        log.warning("readiness_database_down", error=driver_error_name(exc))
        return {"status": "unavailable"}
    return {"status": "ok", "dialect": state.db_engine.dialect.name}


def _public_model_status(status: dict[str, Any]) -> dict[str, Any]:
    # A public endpoint: publish what operators need (never file system paths: see engine.status).
    model = {k: status.get(k) for k in ("mode", "version", "reason", "features")}
    serving = status.get("serving")
    if serving:
        model["serving"] = {k: serving.get(k) for k in ("path", "reason", "verification")}
    return model


@router.get(
    "/readyz",
    response_model=ReadinessResponse,
    responses={
        503: {"model": ReadinessResponse, "description": "Not ready: the database is down or no model can be served"}
    },
)
async def readyz(state: AppStateDep) -> Any:
    model = _public_model_status(state.model_engine.status(public=True))
    auth = {"mode": state.settings.auth_mode, "jwks": state.verifier.jwks.status()}
    database = await _database_status(state)
    # Readiness answers with its own document even when not ready (503), like the forecast service's
    # /health/ready: load balancers read the status code, operators read the components.
    reloader = state.model_reloader
    last_reload = reloader.public_status()
    if last_reload is not None:
        # A refused reload means the file on disk is not what serves: degraded, with the reason.
        model["reload"] = {k: v for k, v in last_reload.items() if k in ("outcome", "trigger", "at", "reason")}
    if database["status"] != "ok" or model.get("mode") == "unavailable":
        body = ReadinessResponse(status="unavailable", database=database, model=model, auth=auth)
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    status: Literal["ok", "degraded"] = "ok" if model.get("mode") == "real" and not reloader.refused else "degraded"
    return ReadinessResponse(status=status, database=database, model=model, auth=auth)
