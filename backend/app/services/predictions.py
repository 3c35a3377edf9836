"""Predict / what-if / history use cases: call the model engine, persist, shape the response.

Persistence happens after the engine has accepted the features, so a rejected request stores
nothing. On PostgreSQL each use case is one statement in autocommit (the user, the inference and,
with the database rate limiter, the request count, all or nothing); elsewhere it runs in the
request session's transaction. The use cases commit themselves once the response is complete, in
the endpoint's worker thread; the session dependency still rolls back on any error and commits
whatever a caller left open.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import Response

from app.core.ratelimit import Quota
from app.core.security import Principal
from app.db import repository
from app.db.models import Inference
from app.db.schemas import _utc_z  # the one datetime format of the API
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
    quota: Quota | None,
) -> None:
    # Creates the user on first sight and counts the request in the same statement (one round
    # trip on PostgreSQL); over the limit, that statement stores nothing and this raises 429.
    repository.use_autocommit(session)
    try:
        count = repository.add_inference(
            session,
            ensure_user_email=user.email,
            inference_id=response.id,
            user_id=user.id,
            kind=kind,
            cod_curso=body.cod_curso,
            input={"cod_persona": body.cod_persona, "features": body.features, **extra_input},
            output=response.model_dump(mode="json", exclude={"id"}),
            version=response.version,
            quota=quota,
        )
        if quota is not None and count is not None:
            quota.enforce(count)
    except BaseException:
        # Give the pooled connection back here, in this worker thread. Leaving it to the session
        # dependency costs a second threadpool hop while the connection is held, and a burst of
        # failing requests (429s) then exhausts the pool (see app/api/deps.get_session).
        with contextlib.suppress(Exception):  # the original error is the one to report
            session.rollback()
        raise


def predict(
    session: Session,
    engine: ModelEngine,
    user: Principal,
    body: PredictRequest,
    quota: Quota | None = None,
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
        quota=quota,
    )
    session.commit()  # here, in the endpoint's worker thread (see app/api/deps.get_session)
    return response


def whatif(
    session: Session,
    engine: ModelEngine,
    user: Principal,
    body: WhatIfRequest,
    quota: Quota | None = None,
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
        quota=quota,
    )
    session.commit()  # here, in the endpoint's worker thread (see app/api/deps.get_session)
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


def history(session: Session, user: Principal, *, limit: int, offset: int) -> Response:
    """The caller's page, rendered to JSON bytes (the ``HistoryPage`` shape).

    On PostgreSQL the stored ``input``/``output`` documents arrive as JSON text and are spliced
    into the response as they are: decoding up to 400 JSONB documents per page and encoding them
    again was most of this endpoint's CPU time (bench/unitrack/README.md).
    """
    repository.use_autocommit(session)  # one statement on PostgreSQL: no BEGIN/COMMIT needed
    raw = repository.history_page_raw(session, user.id, limit=limit, offset=offset)
    if raw is None:
        rows, total = repository.list_inferences(session, user.id, limit=limit, offset=offset)
        page = HistoryPage(
            items=[_history_item(r) for r in rows], total=total, limit=limit, offset=offset
        )
        body = page.model_dump_json().encode()
    else:
        page_rows, total = raw
        items = ",".join(_history_item_json(row) for row in page_rows)
        body = f'{{"items":[{items}],"total":{total},"limit":{limit},"offset":{offset}}}'.encode()
    session.commit()  # end the (read) transaction in this worker thread (see app/api/deps.get_session)
    return Response(content=body, media_type="application/json")


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _history_item_json(row: tuple[Any, ...]) -> str:
    """One ``HistoryItem`` as JSON, field for field as pydantic would write it."""
    id_, kind, cod_curso, cod_persona, input_json, output_json, version, created_at = row
    persona = cod_persona if cod_persona is not None and _INT.fullmatch(cod_persona) else "null"
    return (
        f'{{"id":"{id_}","kind":{_dumps(kind)},"cod_curso":{_dumps(cod_curso)},'
        f'"cod_persona":{persona},"input":{input_json},"output":{output_json},'
        f'"version":{_dumps(version)},"created_at":"{_utc_z(created_at)}"}}'
    )


_INT = re.compile(r"-?[0-9]+")
