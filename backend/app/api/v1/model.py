"""GET /model: which model serves, on which path (onnx, treelite or sklearn), why, and its verification figures."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import AdminUser, AppStateDep, CurrentUser, ModelDep
from app.api.schemas import error_responses
from app.services.model_description import describe_model
from servicekit.timestamps import UtcDatetime

router = APIRouter(tags=["model"])


class ModelVerification(BaseModel):
    rows: int = Field(..., description="Rows scored by both the compiled graph and the estimator")
    max_abs_diff: float = Field(..., description="Largest |score difference| over those rows")
    label_flips: int = Field(..., description="Rows on different sides of the 0.5 pass threshold")
    tolerance: float


class ModelServing(BaseModel):
    path: Literal["onnx", "treelite", "sklearn"] = Field(
        ..., description="onnx or treelite: compiled and verified against the estimator; sklearn: the estimator"
    )
    reason: str
    verification: ModelVerification | None = None
    compile_seconds: float | None = None
    shadow_checked: int = Field(..., description="Live requests re-scored by the estimator and found equal")


class ModelFeature(BaseModel):
    name: str
    type: Literal["number", "categorical"]
    minimum: float | None = Field(None, description="Lowest accepted value (the model card's), when known")
    maximum: float | None = Field(None, description="Highest accepted value (the model card's), when known")
    levels: list[str] | None = Field(None, description="A categorical feature's levels, from its encoder")
    accepts_unknown_level: bool | None = Field(None, description="Whether another level is scored or a 422")
    default: float | None = Field(None, description="Used when the request leaves the feature out")
    baseline: float | str | None = Field(None, description="The value the explanation compares against")
    baseline_source: str | None = None
    description: str | None = Field(None, description="From the model card, when it has one")


class ModelLabels(BaseModel):
    positive: str
    negative: str


class ModelInfo(BaseModel):
    mode: Literal["real", "mock", "unavailable"]
    version: str = Field(..., description="The model's version: its card's, else model-<sha256 prefix>")
    estimator: str | None = None
    features: list[str]
    serving: ModelServing | None = Field(None, description="None in mock or unavailable mode")
    reason: str | None = Field(None, description="Why no model is served (mock or unavailable mode)")
    loaded_at: UtcDatetime
    scoring_method: str | None = Field(None, description="predict_proba, decision_function or predict")
    labels: ModelLabels = Field(..., description="The labels /predict answers with")
    positive_class: str | int | float | bool | None = Field(None, description="The estimator's class scored")
    feature_specs: list[ModelFeature] = Field(..., description="Each feature, in the model's order")


class ModelReloadResult(BaseModel):
    outcome: Literal["reloaded", "unchanged", "refused"] = Field(
        ..., description="refused: the file on disk cannot be served; the previous model keeps serving"
    )
    trigger: str
    at: str = Field(..., description="When the reload ran (ISO 8601, UTC)")
    version: str = Field(..., description="The version serving now")
    previous_version: str | None = None
    reason: str | None = None
    serving: ModelServing | None = None


@router.post("/model/reload", response_model=ModelReloadResult, responses=error_responses(401, 403))
async def reload_model(_: AdminUser, state: AppStateDep) -> dict[str, Any]:
    """Loads MODEL_PATH again, compiles and verifies it, then swaps it in (admins only)."""
    reloader = state.model_reloader
    await reloader.areload("POST /model/reload")
    serving = reloader.engine.status(public=True).get("serving")
    return {**(reloader.public_status() or {}), "serving": _serving(serving)}  # a reload just ran: never {}


def _serving(serving: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: serving[k] for k in ModelServing.model_fields if k in serving} if serving else None


@router.get("/model", response_model=ModelInfo, responses=error_responses(401, 503))
async def model_info(_: CurrentUser, engine: ModelDep) -> dict[str, Any]:
    """The served model described, so a front end can build its form from it."""
    described = describe_model(engine)
    return {**described, "serving": _serving(described["serving"])}
