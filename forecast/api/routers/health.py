from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep, StoreDep
from api.routers import JSONBytes
from api.schemas.health import HealthResponse, LivenessResponse
from api.services import health
from api.state import app_state

router = APIRouter(prefix="/health", tags=["health"])
LIVE = b'{"status":"ok"}'


async def _check(request: Request, settings: SettingsDep, store: StoreDep) -> HealthResponse:
    database = await run_in_threadpool(health.database_health, app_state(request.app).session_factory)
    return health.overall(settings, [database, health.results_health(store)])


@router.get("", response_model=HealthResponse)
@router.get("/", response_model=HealthResponse, include_in_schema=False)
async def health_check(request: Request, settings: SettingsDep, store: StoreDep) -> HealthResponse:
    """Always 200; ``status`` and ``services`` say what works (database, results: which run, how old)."""
    return await _check(request, settings, store)


@router.get(
    "/ready",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "Not ready: a service is unhealthy"}},
)
async def readiness(request: Request, settings: SettingsDep, store: StoreDep) -> Response:
    """503 while the database is unreachable or no valid run is loaded; "degraded" is still ready."""
    result = await _check(request, settings, store)
    status_code = 503 if result.status == "unhealthy" else 200
    return Response(result.model_dump_json(), status_code=status_code, media_type="application/json")


@router.get("/live", response_model=LivenessResponse)
async def liveness() -> JSONBytes:
    return JSONBytes(LIVE)


# Uptime monitors and some load balancers probe with HEAD; without this it would be a 405.
@router.head("/live", include_in_schema=False)
async def liveness_head() -> Response:
    return Response(status_code=200)
