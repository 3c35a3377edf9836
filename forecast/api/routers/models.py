from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AuthedSnapshot
from api.routers import AUTHED, JSONBytes, errors
from api.schemas.models import FeatureImportance, ModelComparison, ModelMetrics, ModelSummary
from api.services import models

router = APIRouter(prefix="/models", tags=["models"], responses=AUTHED)

ModelName = Annotated[str, Path(max_length=100, description="Model name, e.g. ridge")]


@router.get("/", response_model=list[ModelSummary])
@router.get("", response_model=list[ModelSummary], include_in_schema=False)
async def list_models(snapshot: AuthedSnapshot) -> JSONBytes:
    return JSONBytes(models.list_models(snapshot))


# Declared before /{model_name} so "comparison" is never taken for a model name.
@router.get("/comparison", response_model=ModelComparison)
async def comparison(snapshot: AuthedSnapshot) -> JSONBytes:
    return JSONBytes(models.comparison(snapshot))


@router.get("/{model_name}", response_model=ModelSummary, responses=errors(404))
async def get_model(model_name: ModelName, snapshot: AuthedSnapshot) -> JSONBytes:
    return JSONBytes(models.get_model(snapshot, model_name))


@router.get("/{model_name}/metrics", response_model=list[ModelMetrics], responses=errors(404))
async def model_metrics(model_name: ModelName, snapshot: AuthedSnapshot) -> JSONBytes:
    return JSONBytes(models.model_metrics(snapshot, model_name))


@router.get("/{model_name}/feature-importance", response_model=FeatureImportance, responses=errors(404, 422))
async def feature_importance(
    model_name: ModelName,
    snapshot: AuthedSnapshot,
    horizon: Annotated[int | None, Query(ge=1, le=30, description="Defaults to the model's best horizon")] = None,
) -> JSONBytes:
    return JSONBytes(models.feature_importance(snapshot, model_name, horizon))
