"""GET /history: the caller's inferences, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from app.api.deps import CurrentUser, StoreDep
from app.api.schemas import HistoryPage, error_responses
from app.services import predictions

router = APIRouter(tags=["predictions"])


@router.get("/history", response_model=HistoryPage, responses=error_responses(401, 422, 503))
async def history(
    user: CurrentUser,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    # The service renders the HistoryPage JSON itself (response_model still documents it).
    return await predictions.history(store, user, limit=limit, offset=offset)
