"""The model comparison the API serves; its rows are the run's own (runcontract.models)."""

from pydantic import BaseModel, Field

from runcontract.models import FeatureImportance, HorizonSkill, ModelMetrics, ModelSummary, ModelType
from servicekit.timestamps import UtcDatetime

__all__ = [
    "FeatureImportance",
    "HorizonSkill",
    "ModelComparison",
    "ModelMetrics",
    "ModelSummary",
    "ModelType",
]


class ModelComparison(BaseModel):
    models: list[ModelSummary]
    metrics_by_horizon: dict[int, list[ModelMetrics]]
    best_model_overall: str
    best_model_by_horizon: dict[int, str]
    generated_at: UtcDatetime
    best_model_overall_edge: float = Field(
        ..., description="best_model_overall's avg_da_test minus always-up's average, same test points (pp)"
    )
    best_model_overall_holdout_edge: float = Field(
        ...,
        description="best_model_overall's edge over always-up on the hold-out block (chosen before it), "
        "averaged over horizons (pp)",
    )
    skill_by_horizon: dict[int, HorizonSkill]
    beats_baseline: bool = Field(..., description="A model beats always-up at one horizon or more")
    verdict: str = Field(..., description="One sentence: which model, if any, beats always-up, and where")
