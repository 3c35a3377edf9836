"""POST /whatif."""

from __future__ import annotations

import anyio
from fastapi import APIRouter

from app.api.deps import CurrentUser, InferenceQuota, ModelDep, SessionDep
from app.db.schemas import WhatIfRequest, WhatIfResponse, error_responses
from app.services import predictions

router = APIRouter(tags=["predictions"])


@router.post(
    "/whatif", response_model=WhatIfResponse, responses=error_responses(401, 413, 422, 429, 503)
)
async def whatif(
    body: WhatIfRequest,
    user: CurrentUser,
    quota: InferenceQuota,
    session: SessionDep,
    engine: ModelDep,
) -> WhatIfResponse:
    # Inference and the write run in one worker thread; the response is validated back on the
    # loop (a sync endpoint would cost a second threadpool hop for that).
    return await anyio.to_thread.run_sync(predictions.whatif, session, engine, user, body, quota)
