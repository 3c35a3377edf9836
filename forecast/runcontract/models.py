"""Per-model metrics, summaries, skill verdicts and feature importance: parts of the RunBundle."""

from typing import Literal

from pydantic import BaseModel, Field

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
    always_up_da: float = Field(..., description="DA (%) of always predicting up, on the same test points")
    last_sign_da: float = Field(..., description="DA (%) of predicting the sign of the last h-day return, same points")
    edge_vs_always_up: float = Field(..., description="da_test - always_up_da, in percentage points")
    da_ci_low: float = Field(..., description="Lower end of the 95% interval for da_test (Newey-West, h-1 lags)")
    da_ci_high: float = Field(..., description="Upper end of the 95% interval for da_test (Newey-West, h-1 lags)")
    p_value_vs_always_up: float = Field(
        ..., ge=0, le=1, description="One-sided p: the hit rate beats always-up's (Diebold-Mariano, HAC)"
    )
    p_value_adjusted: float = Field(
        ..., ge=0, le=1, description="p_value_vs_always_up, Holm-adjusted over every model x horizon of the run"
    )
    buy_hold_sharpe: float | None = Field(None, description="Sharpe of holding the asset over the same days")
    sharpe_after_costs: float | None = Field(
        None, description="sharpe after a cost per unit of turnover (the run's cost_bps, see /methodology)"
    )


class ModelSummary(BaseModel):
    model_name: str
    model_type: str
    avg_da_test: float
    best_horizon: int
    best_da: float
    requires_scaling: bool
    supports_early_stopping: bool
    avg_always_up_da: float = Field(..., description="Always-up DA (%) averaged over the same horizons as avg_da_test")
    avg_edge_vs_always_up: float = Field(..., description="avg_da_test - avg_always_up_da (percentage points)")
    best_horizon_edge: float = Field(..., description="best_da minus always-up's DA at best_horizon (pp)")


class HorizonSkill(BaseModel):
    """Does any model beat always-up at this horizon? Chosen on the selection block, scored on the hold-out."""

    horizon: int = Field(..., ge=1, le=30)
    baseline_da: float = Field(..., description="Always-up DA (%) over all test points")
    best_model: str = Field(..., description="Highest DA on the selection block (before the hold-out)")
    best_edge: float = Field(..., description="best_model's DA minus always-up's on the hold-out block (pp)")
    best_holdout_da: float = Field(..., description="best_model's DA (%) on the hold-out block")
    baseline_holdout_da: float = Field(..., description="Always-up DA (%) on the hold-out block")
    spa_p_value: float = Field(
        ..., ge=0, le=1, description="Hansen's SPA p (consistent): does any model beat always-up? All test points"
    )
    spa_p_value_adjusted: float = Field(..., ge=0, le=1, description="spa_p_value, Holm-adjusted over horizons")
    beats_baseline: bool = Field(
        ..., description="spa_p_value_adjusted < alpha and best_edge > 0: a model beats always-up here"
    )
    n_test: int = Field(..., ge=0)
    n_holdout: int = Field(..., ge=0)


class FeatureImportance(BaseModel):
    model_name: str
    horizon: int
    features: dict[str, float]
    top_n: int = 15
