from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import UtcDatetime

ModelType = Literal["linear", "boosting", "hybrid"]


class ModelMetrics(BaseModel):
    """Walk-forward metrics of one model at one horizon."""

    model_name: str
    model_type: ModelType
    horizon: int = Field(..., ge=1, le=30)
    da_train: float = Field(..., description="Directional accuracy in sample (%)")
    da_test: float = Field(..., description="Directional accuracy out of sample (%)")
    variance_ratio: float = Field(..., description="std(pred) / std(true)")
    rmse: float | None = None
    mae: float | None = None
    r2: float | None = None
    sharpe: float | None = None
    max_drawdown: float | None = None
    overfitting_gap: float = Field(..., description="da_train - da_test")


class ModelSummary(BaseModel):
    model_name: str
    model_type: str
    avg_da_test: float
    best_horizon: int
    best_da: float
    requires_scaling: bool
    supports_early_stopping: bool


class ModelComparison(BaseModel):
    models: list[ModelSummary]
    metrics_by_horizon: dict[int, list[ModelMetrics]]
    best_model_overall: str
    best_model_by_horizon: dict[int, str]
    generated_at: UtcDatetime


class FeatureImportance(BaseModel):
    model_name: str
    horizon: int
    features: dict[str, float]
    top_n: int = 15
