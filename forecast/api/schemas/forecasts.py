"""The forecast endpoints' pages and dashboard; their items are the run's own (runcontract.forecasts)."""

from datetime import date

from pydantic import BaseModel, Field

from runcontract.forecasts import ConsensusResponse, Direction, ForecastResponse, Signal
from servicekit.timestamps import UtcDatetime

__all__ = ["ConsensusResponse", "Direction", "ForecastDashboard", "ForecastListResponse", "ForecastResponse", "Signal"]


class ForecastListResponse(BaseModel):
    forecasts: list[ForecastResponse]
    total: int
    page: int = 1
    page_size: int = 50


class ForecastDashboard(BaseModel):
    latest_forecasts: list[ForecastResponse]
    consensus: ConsensusResponse
    best_model: str
    best_model_da: float
    avg_da_all_models: float
    last_actual_price: float
    last_actual_date: date
    generated_at: UtcDatetime
    baseline_da: float = Field(..., description="Always-up DA (%) averaged over horizons, same points as best_model_da")
    best_model_edge: float = Field(..., description="best_model_da - baseline_da (percentage points)")
    best_model_holdout_edge: float = Field(
        ...,
        description="best_model's DA minus always-up's on the hold-out block (chosen before it), averaged "
        "over horizons (pp)",
    )
    beats_baseline: bool = Field(..., description="A model beats always-up at one horizon or more")
    verdict: str
