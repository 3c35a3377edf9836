"""POST /predict."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CurrentUser, InferenceQuota, ModelDep, StoreDep
from app.api.schemas import PredictRequest, PredictResponse, error_responses
from app.services import predictions

router = APIRouter(tags=["predictions"])


@router.post("/predict", response_model=PredictResponse, responses=error_responses(401, 413, 422, 429, 503))
async def predict(
    body: PredictRequest,
    user: CurrentUser,
    quota: InferenceQuota,
    store: StoreDep,
    engine: ModelDep,
) -> PredictResponse:
    stored = await predictions.predict(
        store,
        engine,
        user,
        cod_persona=body.cod_persona,
        cod_curso=body.cod_curso,
        features=body.features,
        quota=quota,
    )
    return PredictResponse(id=stored.id, **stored.output)
