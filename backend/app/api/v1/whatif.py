"""POST /whatif."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CurrentUser, IdempotencyKeyDep, InferenceQuota, ModelDep, StoreDep
from app.api.schemas import WhatIfRequest, WhatIfResponse, error_responses
from app.services import predictions

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
    stored = await predictions.whatif(
        store,
        engine,
        user,
        cod_persona=body.cod_persona,
        cod_curso=body.cod_curso,
        features=body.features,
        deltas=body.deltas,
        quota=quota,
        key=key,
    )
    return WhatIfResponse(id=stored.id, **stored.output)
