"""Predict / what-if / history use cases: call the model engine, persist, shape the response.

Persistence happens in the caller's transaction (the request session), after the engine has
accepted the features, so a rejected request stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from app.core.security import Principal
from app.db import repository
from app.db.models import Inference
from app.db.schemas import (
    FeatureImpactOut,
    HistoryItem,
    HistoryPage,
    Prediction,
    PredictRequest,
    PredictResponse,
    WhatIfRequest,
    WhatIfResponse,
)
from app.services.inference import ModelEngine, PredictionResult


def _prediction_fields(result: PredictionResult) -> dict[str, Any]:
    return {
        "prediction": Prediction(label=result.label, score=result.score),
        "explain": [FeatureImpactOut(feature=i.feature, impact=i.impact) for i in result.explain],
        "version": result.version,
    }


def _persist(
    session: Session,
    user: Principal,
    *,
    kind: str,
    body: PredictRequest,
    extra_input: Mapping[str, Any],
    response: PredictResponse,
) -> None:
    repository.ensure_user(session, user.id, user.email)
    repository.add_inference(
        session,
        inference_id=response.id,
        user_id=user.id,
        kind=kind,
        cod_curso=body.cod_curso,
        input={"cod_persona": body.cod_persona, "features": body.features, **extra_input},
        output=response.model_dump(mode="json", exclude={"id"}),
        version=response.version,
    )


def predict(
    session: Session, engine: ModelEngine, user: Principal, body: PredictRequest
) -> PredictResponse:
    result = engine.predict(body.features)
    response = PredictResponse(id=uuid.uuid4(), **_prediction_fields(result))
    _persist(
        session,
        user,
        kind="predict",
        body=body,
        extra_input={"features_used": result.features},
        response=response,
    )
    return response


def whatif(
    session: Session, engine: ModelEngine, user: Principal, body: WhatIfRequest
) -> WhatIfResponse:
    result = engine.whatif(body.features, body.deltas)
    baseline = result.baseline
    response = WhatIfResponse(
        id=uuid.uuid4(),
        **_prediction_fields(result.prediction),
        baseline_score=baseline.score,
        baseline=Prediction(label=baseline.label, score=baseline.score),
        applied_deltas=result.applied_deltas,
    )
    _persist(
        session,
        user,
        kind="whatif",
        body=body,
        extra_input={"deltas": body.deltas, "features_used": result.prediction.features},
        response=response,
    )
    return response


def _history_item(row: Inference) -> HistoryItem:
    cod_persona = row.input.get("cod_persona") if isinstance(row.input, dict) else None
    return HistoryItem(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        cod_curso=row.cod_curso,
        cod_persona=cod_persona if isinstance(cod_persona, int) else None,
        input=row.input,
        output=row.output,
        version=row.version,
        created_at=row.created_at,
    )


def history(session: Session, user: Principal, *, limit: int, offset: int) -> HistoryPage:
    rows, total = repository.list_inferences(session, user.id, limit=limit, offset=offset)
    return HistoryPage(
        items=[_history_item(r) for r in rows], total=total, limit=limit, offset=offset
    )
