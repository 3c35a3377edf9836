"""Predict / what-if / history use cases: call the model engine, persist, shape the response.

Persistence happens after the engine has accepted the features, so a rejected request stores
nothing. The store (app/db/inference_store.py) writes the user, the inference and, with the
database rate limiter on PostgreSQL, the request's count in one atomic step; over the limit it
stores nothing and this raises 429.

The engine scores a compiled, verified graph on the event loop (microseconds) and hands the
reference scikit-learn scorer to its one dedicated thread, so a slow model never stalls other
requests and concurrent requests queue for it instead of fighting over the GIL.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from app.core.ratelimit import Quota
from app.core.security import Principal
from app.db.inference_store import HistoryRow, InferenceStore, NewInference
from app.db.schemas import _utc_z  # the one datetime format of the API
from app.db.schemas import (
    FeatureImpactOut,
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


async def _persist(
    store: InferenceStore,
    user: Principal,
    *,
    kind: str,
    body: PredictRequest,
    extra_input: Mapping[str, Any],
    response: PredictResponse,
    quota: Quota | None,
) -> None:
    count = await store.add(
        NewInference(
            id=response.id,
            user_id=user.id,
            email=user.email,
            kind=kind,
            cod_curso=body.cod_curso,
            input={"cod_persona": body.cod_persona, "features": body.features, **extra_input},
            output=response.model_dump(mode="json", exclude={"id"}),
            version=response.version,
        ),
        quota,
    )
    if quota is not None and count is not None:
        quota.enforce(count)


async def predict(
    store: InferenceStore,
    engine: ModelEngine,
    user: Principal,
    body: PredictRequest,
    quota: Quota | None = None,
) -> PredictResponse:
    result = await engine.apredict(body.features)
    response = PredictResponse(id=uuid.uuid4(), **_prediction_fields(result))
    await _persist(
        store,
        user,
        kind="predict",
        body=body,
        extra_input={"features_used": result.features},
        response=response,
        quota=quota,
    )
    return response


async def whatif(
    store: InferenceStore,
    engine: ModelEngine,
    user: Principal,
    body: WhatIfRequest,
    quota: Quota | None = None,
) -> WhatIfResponse:
    result = await engine.awhatif(body.features, body.deltas)
    baseline = result.baseline
    response = WhatIfResponse(
        id=uuid.uuid4(),
        **_prediction_fields(result.prediction),
        baseline_score=baseline.score,
        baseline=Prediction(label=baseline.label, score=baseline.score),
        applied_deltas=result.applied_deltas,
    )
    await _persist(
        store,
        user,
        kind="whatif",
        body=body,
        extra_input={"deltas": body.deltas, "features_used": result.prediction.features},
        response=response,
        quota=quota,
    )
    return response


async def history(store: InferenceStore, user: Principal, *, limit: int, offset: int) -> Response:
    """The caller's page, rendered to JSON bytes (the ``HistoryPage`` shape).

    The stored ``input``/``output`` documents arrive as JSON text and are spliced into the
    response as they are: decoding up to 400 documents per page and encoding them again was most
    of this endpoint's CPU time (bench/unitrack/README.md).
    """
    rows, total = await store.history_page(user.id, limit=limit, offset=offset)
    items = ",".join(_history_item_json(row) for row in rows)
    body = f'{{"items":[{items}],"total":{total},"limit":{limit},"offset":{offset}}}'.encode()
    return Response(content=body, media_type="application/json")


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _history_item_json(row: HistoryRow) -> str:
    """One ``HistoryItem`` as JSON, field for field as pydantic would write it."""
    id_, kind, cod_curso, cod_persona, input_json, output_json, version, created_at = row
    persona = cod_persona if cod_persona is not None and _INT.fullmatch(cod_persona) else "null"
    return (
        f'{{"id":"{id_}","kind":{_dumps(kind)},"cod_curso":{_dumps(cod_curso)},'
        f'"cod_persona":{persona},"input":{input_json},"output":{output_json},'
        f'"version":{_dumps(version)},"created_at":"{_utc_z(created_at)}"}}'
    )


_INT = re.compile(r"-?[0-9]+")
