"""POST /whatif."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CurrentUser, IdempotencyKeyDep, InferenceQuota, ModelDep, StoreDep
from app.api.schemas import WhatIfRequest, WhatIfResponse, error_responses
from app.services import predictions
from app.services.predictions import Asked

router = APIRouter(tags=["predictions"])


@router.post("/whatif", response_model=WhatIfResponse, responses=error_responses(401, 409, 413, 422, 429, 503))
async def whatif(
    body: WhatIfRequest,
    user: CurrentUser,
    quota: InferenceQuota,
    store: StoreDep,
    engine: ModelDep,
    key: IdempotencyKeyDep,
) -> WhatIfResponse:
    asked = Asked(body.cod_persona, body.cod_curso, body.features, deltas=body.deltas)
    stored = await predictions.answer(store, engine, user, asked, quota=quota, key=key)
    return WhatIfResponse(id=stored.id, **stored.output)
