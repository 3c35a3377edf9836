from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api.deps import AuthedRead
from api.routers import AUTHED, JSONBytes, errors
from api.schemas.forecasts import ConsensusResponse, ForecastDashboard, ForecastListResponse, ForecastResponse
from api.services import forecasts
from api.state import app_state

router = APIRouter(prefix="/forecasts", tags=["forecasts"], responses=AUTHED)

Horizon = Annotated[int, Path(ge=1, le=30, description="Horizon in trading days (1-30)")]
HorizonQuery = Annotated[int | None, Query(ge=1, le=30, description="Horizon in trading days (1-30)")]


@router.get("/", response_model=ForecastListResponse, responses=errors(404, 422))
@router.get("", response_model=ForecastListResponse, include_in_schema=False)
async def list_forecasts(
    read: AuthedRead,
    model: Annotated[str | None, Query(max_length=100)] = None,
    horizon: HorizonQuery = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JSONBytes:
    return JSONBytes(read.json(forecasts.list_forecasts, model=model, horizon=horizon, page=page, page_size=page_size))


@router.get("/latest", response_model=list[ForecastResponse], responses=errors(422))
async def latest(read: AuthedRead, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JSONBytes:
    return JSONBytes(read.json(forecasts.latest_forecasts, limit=limit))


@router.get("/consensus", response_model=ConsensusResponse, responses=errors(404, 422))
async def consensus(request: Request, read: AuthedRead, horizon: HorizonQuery = None) -> JSONBytes:
    preferred = app_state(request.app).settings.default_horizon
    return JSONBytes(read.json(forecasts.consensus, horizon=horizon, preferred=preferred))


@router.get("/dashboard", response_model=ForecastDashboard)
async def dashboard(request: Request, read: AuthedRead) -> JSONBytes:
    return JSONBytes(read.json(forecasts.dashboard, preferred=app_state(request.app).settings.default_horizon))


@router.get("/by-horizon/{horizon}", response_model=list[ForecastResponse], responses=errors(404, 422))
async def by_horizon(horizon: Horizon, read: AuthedRead) -> JSONBytes:
    return JSONBytes(read.json(forecasts.by_horizon, horizon))
