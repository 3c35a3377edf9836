from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import UtcDatetime

Direction = Literal["up", "down"]


class ForecastResponse(BaseModel):
    """One model's forecast for one horizon."""

    model: str = Field(..., description="Model name (ridge, hybrid_xgboost, ...)")
    horizon: int = Field(..., ge=1, le=30, description="Horizon in trading days")
    prediction: float = Field(..., description="Predicted log-return")
    prediction_price: float | None = Field(None, description="Predicted price, when available")
    direction: Direction = Field(..., description="Predicted direction")
    confidence: float = Field(..., ge=0, le=1, description="Estimated probability the direction is right")
    prediction_date: date = Field(..., description="Target date of the forecast")
    generated_at: UtcDatetime = Field(..., description="When the forecast was generated")


class ForecastListResponse(BaseModel):
    forecasts: list[ForecastResponse]
    total: int
    page: int = 1
    page_size: int = 50


class ConsensusResponse(BaseModel):
    """Skill-weighted mean of the models' forecasts for one horizon."""

    consensus_prediction: float
    consensus_direction: Direction
    confidence: float = Field(..., ge=0, le=1)
    models_used: list[str]
    weights: dict[str, float]
    horizon: int = Field(..., ge=1, le=30)
    generated_at: UtcDatetime


class ForecastDashboard(BaseModel):
    latest_forecasts: list[ForecastResponse]
    consensus: ConsensusResponse
    best_model: str
    best_model_da: float
    avg_da_all_models: float
    last_actual_price: float
    last_actual_date: date
    generated_at: UtcDatetime
