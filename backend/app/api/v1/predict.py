"""POST /predict."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ModelDep, RateLimitedUser, SessionDep
from app.db.schemas import PredictRequest, PredictResponse, error_responses
from app.services import predictions

router = APIRouter(tags=["predictions"])


@router.post(
    "/predict", response_model=PredictResponse, responses=error_responses(401, 413, 422, 429, 503)
)
def predict(
    body: PredictRequest, user: RateLimitedUser, session: SessionDep, engine: ModelDep
) -> PredictResponse:
    # Sync on purpose: model inference is CPU-bound and runs in the threadpool.
    return predictions.predict(session, engine, user, body)
