from fastapi import APIRouter

from api.deps import AuthedRunRead
from api.routers import AUTHED, JSONBytes
from api.schemas.assets import AssetListResponse
from api.services import assets

router = APIRouter(prefix="/assets", tags=["assets"], responses=AUTHED)


@router.get("", response_model=AssetListResponse)
@router.get("/", response_model=AssetListResponse, include_in_schema=False)
async def list_assets(read: AuthedRunRead) -> JSONBytes:
    """The run's assets (name, source, rows, date range), the default one first; the forecasts, models and
    images endpoints take ``?asset=`` to read one."""
    return JSONBytes(read.json(assets.list_assets))
