from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AuthedRead
from api.routers import AUTHED, JSONBytes, errors
from api.schemas.models import FeatureImportance, ModelComparison, ModelMetrics, ModelSummary
from api.services import models

router = APIRouter(prefix="/models", tags=["models"], responses=AUTHED)

ModelName = Annotated[str, Path(max_length=100, description="Model name, e.g. ridge")]


@router.get("/", response_model=list[ModelSummary])
@router.get("", response_model=list[ModelSummary], include_in_schema=False)
async def list_models(read: AuthedRead) -> JSONBytes:
    return JSONBytes(read.json(models.list_models))


# Declared before /{model_name} so "comparison" is never taken for a model name.
@router.get("/comparison", response_model=ModelComparison)
async def comparison(read: AuthedRead) -> JSONBytes:
    return JSONBytes(read.json(models.comparison))


@router.get("/{model_name}", response_model=ModelSummary, responses=errors(404))
async def get_model(model_name: ModelName, read: AuthedRead) -> JSONBytes:
    return JSONBytes(read.json(models.get_model, model_name))


@router.get("/{model_name}/metrics", response_model=list[ModelMetrics], responses=errors(404))
async def model_metrics(model_name: ModelName, read: AuthedRead) -> JSONBytes:
    return JSONBytes(read.json(models.model_metrics, model_name))


@router.get("/{model_name}/feature-importance", response_model=FeatureImportance, responses=errors(404, 422))
async def feature_importance(
    model_name: ModelName,
    read: AuthedRead,
    horizon: Annotated[int | None, Query(ge=1, le=30, description="Defaults to the model's best horizon")] = None,
) -> JSONBytes:
    return JSONBytes(read.json(models.feature_importance, model_name, horizon))
