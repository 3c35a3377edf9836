"""POST /whatif."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ModelDep, RateLimitedUser, SessionDep
from app.db.schemas import WhatIfRequest, WhatIfResponse, error_responses
from app.services import predictions

router = APIRouter(tags=["predictions"])


@router.post(
    "/whatif", response_model=WhatIfResponse, responses=error_responses(401, 413, 422, 429, 503)
)
def whatif(
    body: WhatIfRequest, user: RateLimitedUser, session: SessionDep, engine: ModelDep
) -> WhatIfResponse:
    return predictions.whatif(session, engine, user, body)
