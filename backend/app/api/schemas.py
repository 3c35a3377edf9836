"""Pydantic request/response schemas: the API contract, beside the routers that use it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from servicekit.errors import ErrorResponse
from servicekit.timestamps import UtcDatetime

# No control characters: PostgreSQL JSONB cannot store \u0000.
FeatureName = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,64}$")]
# Values are checked by the featurizer (finite numbers; a categorical feature's level as a string), so
# it can name every bad field in one 422.
FeatureMap = Annotated[
    dict[FeatureName, Any],
    Field(
        max_length=200, json_schema_extra={"additionalProperties": {"anyOf": [{"type": "number"}, {"type": "string"}]}}
    ),
]
DeltaMap = Annotated[
    dict[FeatureName, Any],
    Field(max_length=200, json_schema_extra={"additionalProperties": {"type": "number"}}),
]
CodCurso = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")]


_PREDICT_EXAMPLE: dict[str, Any] = {
    "cod_persona": 8839,
    "cod_curso": "CS2H1",
    "features": {"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3},
}


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PREDICT_EXAMPLE]})

    cod_persona: int = Field(ge=0, le=10**15)
    cod_curso: CodCurso
    features: FeatureMap


class WhatIfRequest(PredictRequest):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{**_PREDICT_EXAMPLE, "deltas": {"CREDITOS": 1}}]}
    )

    deltas: DeltaMap


MAX_BATCH_ITEMS = 50


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cod_curso: CodCurso
    features: FeatureMap


class BatchPredictRequest(BaseModel):
    """A semester planned at once: one student, 1-50 courses."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "cod_persona": 8839,
                    "items": [
                        {"cod_curso": "CS2H1", "features": {"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3}},
                        {"cod_curso": "MA101", "features": {"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 4}},
                    ],
                }
            ]
        },
    )

    cod_persona: int = Field(ge=0, le=10**15)
    items: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)


class Prediction(BaseModel):
    label: str
    score: float


class FeatureImpactOut(BaseModel):
    feature: str
    impact: float


class PredictResponse(BaseModel):
    id: uuid.UUID
    prediction: Prediction
    explain: list[FeatureImpactOut]
    version: str


class BatchPredictResponse(BaseModel):
    items: list[PredictResponse] = Field(..., description="In the request's order, each as POST /predict answers")


class WhatIfResponse(PredictResponse):
    baseline_score: float
    baseline: Prediction
    applied_deltas: dict[str, float]


class MeResponse(BaseModel):
    id: uuid.UUID
    email: str | None


class HistoryItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Literal["predict", "whatif"]
    cod_curso: str
    cod_persona: int | None
    input: dict[str, Any]
    output: dict[str, Any]
    version: str
    created_at: UtcDatetime


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    total: int
    limit: int
    offset: int


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first representable instant
        raise ValueError("Datetime is out of range once converted to UTC") from None


# ISO-8601 with a timezone (Z or an offset; a "+" must be sent as %2B in a query string), in UTC.
HistoryBound = Annotated[AwareDatetime, AfterValidator(_in_utc)]
InferenceKind = Literal["predict", "whatif"]
HistoryOrder = Literal["newest", "oldest"]


class CourseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    cod_curso: str
    nombre: str
    creditos: int
    familia: str | None
    nivel: int | None


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadinessResponse(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    database: dict[str, Any]
    model: dict[str, Any]
    auth: dict[str, Any]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries so clients (and schemathesis) know every error uses ErrorResponse."""
    return {code: {"model": ErrorResponse} for code in codes}
