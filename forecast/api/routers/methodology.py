from fastapi import APIRouter

from api.deps import AuthedRunRead
from api.routers import AUTHED, JSONBytes
from api.schemas.methodology import MethodologyResponse
from api.services import methodology

router = APIRouter(prefix="/methodology", tags=["methodology"], responses=AUTHED)


@router.get("", response_model=MethodologyResponse)
@router.get("/", response_model=MethodologyResponse, include_in_schema=False)
async def get_methodology(read: AuthedRunRead) -> JSONBytes:
    return JSONBytes(read.json(methodology.methodology))
