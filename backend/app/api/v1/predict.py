"""POST /predict."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CurrentUser, InferenceQuota, ModelDep, StoreDep
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
    store: StoreDep,
    engine: ModelDep,
) -> PredictResponse:
    return await predictions.predict(store, engine, user, body, quota)
