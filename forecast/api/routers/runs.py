from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentPrincipal, StoreDep
from api.routers import errors
from api.schemas.runs import RunListResponse
from api.services import runs

router = APIRouter(prefix="/runs", tags=["runs"], responses=errors(401, 403))

FILE: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {}, "application/json": {}, "image/png": {}}, "description": "The file"}
}


@router.get("", response_model=RunListResponse, responses=errors(503))
@router.get("/", response_model=RunListResponse, include_in_schema=False)
async def list_runs(_: CurrentPrincipal, store: StoreDep) -> RunListResponse:
    """The published runs the store keeps, newest first; the read endpoints take ``?run_id=`` to read one."""
    return await run_in_threadpool(runs.list_runs, store)


@router.get("/{run_id}/files/{path:path}", response_class=Response, responses={**FILE, **errors(404, 503)})
async def run_file(
    run_id: Annotated[str, Path(max_length=128)],
    path: Annotated[str, Path(max_length=512, description="e.g. metrics.csv, images/model_ranking.png")],
    _: CurrentPrincipal,
    store: StoreDep,
) -> Response:
    """One file of a kept run (its CSV and JSON tables, its charts), served from the run store."""
    content, media_type = await run_in_threadpool(runs.run_file, store, run_id, path)
    return Response(content, media_type=media_type, headers={"Cache-Control": "private, max-age=300"})
