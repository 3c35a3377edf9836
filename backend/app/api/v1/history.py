"""/history: the caller's inferences, listed (filtered, newest or oldest first), exported, deleted."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response, StreamingResponse

from app.api.deps import CurrentUser, StoreDep
from app.api.schemas import CodCurso, HistoryBound, HistoryOrder, HistoryPage, InferenceKind, error_responses
from app.services import history as service

router = APIRouter(tags=["predictions"])


async def history_filter(
    cod_curso: Annotated[CodCurso | None, Query(description="Only this course's inferences")] = None,
    kind: Annotated[InferenceKind | None, Query(description="Only /predict or only /whatif inferences")] = None,
    since: Annotated[
        HistoryBound | None, Query(description="Stored at or after this ISO-8601 time, with its timezone")
    ] = None,
    until: Annotated[
        HistoryBound | None, Query(description="Stored at or before this ISO-8601 time, with its timezone")
    ] = None,
    order: Annotated[HistoryOrder, Query(description="newest (the default) or oldest first")] = "newest",
) -> service.HistoryFilter:
    if since is not None and until is not None and since > until:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "until"),
                    "msg": "until must not be before since",
                    "input": until,
                }
            ]
        )
    return service.HistoryFilter(
        cod_curso=cod_curso, kind=kind, since=since, until=until, oldest_first=order == "oldest"
    )


Filter = Annotated[service.HistoryFilter, Depends(history_filter)]


@router.get("/history", response_model=HistoryPage, responses=error_responses(401, 422, 503))
async def history(
    user: CurrentUser,
    store: StoreDep,
    where: Filter,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    # The service renders the HistoryPage JSON itself (response_model still documents it).
    body = await service.page(store, user, where, limit=limit, offset=offset)
    return Response(content=body, media_type="application/json")


_EXPORT_CONTENT: dict[str, Any] = {
    "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/HistoryItem"}}},
    "text/csv": {"schema": {"type": "string"}},
}


@router.get(
    "/history/export",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The caller's rows, streamed as a JSON array or CSV", "content": _EXPORT_CONTENT},
        **error_responses(401, 422, 503),
    },
)
async def export_history(
    user: CurrentUser,
    store: StoreDep,
    where: Filter,
    export_format: Annotated[service.ExportFormat, Query(alias="format")] = "json",
) -> StreamingResponse:
    export = await service.export(store, user, where, export_format)
    return StreamingResponse(
        export.body,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.delete(
    "/history/{inference_id}", status_code=204, response_class=Response, responses=error_responses(401, 404, 422, 503)
)
async def delete_inference(user: CurrentUser, store: StoreDep, inference_id: uuid.UUID) -> Response:
    await service.delete(store, user, inference_id)
    return Response(status_code=204)


@router.delete("/history", status_code=204, response_class=Response, responses=error_responses(401, 422, 503))
async def delete_history(user: CurrentUser, store: StoreDep) -> Response:
    await service.delete_all(store, user)
    return Response(status_code=204)
