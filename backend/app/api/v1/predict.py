"""POST /predict."""

from __future__ import annotations

import anyio
from fastapi import APIRouter

from app.api.deps import CurrentUser, InferenceQuota, ModelDep, SessionDep
from app.db.schemas import PredictRequest, PredictResponse, error_responses
from app.services import predictions

router = APIRouter(tags=["predictions"])


@router.post(
    "/predict", response_model=PredictResponse, responses=error_responses(401, 413, 422, 429, 503)
)
async def predict(
    body: PredictRequest,
    user: CurrentUser,
    quota: InferenceQuota,
    session: SessionDep,
    engine: ModelDep,
) -> PredictResponse:
    # Inference and the write run in one worker thread; the response is validated back on the
    # loop (a sync endpoint would cost a second threadpool hop for that).
    return await anyio.to_thread.run_sync(predictions.predict, session, engine, user, body, quota)
