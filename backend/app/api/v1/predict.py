"""POST /predict and POST /predict/batch."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CurrentUser, IdempotencyKeyDep, InferenceCharge, InferenceQuota, ModelDep, StoreDep
from app.api.schemas import (
    BatchPredictRequest,
    BatchPredictResponse,
    PredictRequest,
    PredictResponse,
    error_responses,
)
from app.services import predictions
from app.services.predictions import Asked

router = APIRouter(tags=["predictions"])


@router.post("/predict", response_model=PredictResponse, responses=error_responses(401, 409, 413, 422, 429, 503))
async def predict(
    body: PredictRequest,
    user: CurrentUser,
    quota: InferenceQuota,
    store: StoreDep,
    engine: ModelDep,
    key: IdempotencyKeyDep,
) -> PredictResponse:
    asked = Asked(body.cod_persona, body.cod_curso, body.features)
    stored = await predictions.answer(store, engine, user, asked, quota=quota, key=key)
    return PredictResponse(id=stored.id, **stored.output)


@router.post("/predict/batch", response_model=BatchPredictResponse, responses=error_responses(401, 413, 422, 429, 503))
async def predict_batch(
    body: BatchPredictRequest,
    user: CurrentUser,
    charge: InferenceCharge,
    store: StoreDep,
    engine: ModelDep,
) -> BatchPredictResponse:
    quota = await charge(len(body.items))
    items = [Asked(body.cod_persona, item.cod_curso, item.features) for item in body.items]
    stored = await predictions.predict_batch(store, engine, user, items, quota=quota)
    return BatchPredictResponse(items=[PredictResponse(id=s.id, **s.output) for s in stored])
