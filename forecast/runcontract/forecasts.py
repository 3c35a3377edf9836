"""One model's forecast and the consensus, per horizon: parts of the RunBundle that the API also serves."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from servicekit.timestamps import UtcDatetime

Direction = Literal["up", "down"]
Signal = Literal["skill", "no_edge"]


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


class ConsensusResponse(BaseModel):
    """Skill-weighted mean of the models that beat always-up, or the drift forecast when none does."""

    consensus_prediction: float = Field(
        ...,
        description="Weighted mean log-return (or the drift). Its sign can differ from consensus_direction, "
        "which follows the calibrated probability",
    )
    consensus_direction: Direction = Field(..., description="The direction its calibrated probability favours")
    confidence: float = Field(..., ge=0, le=1, description="Calibrated probability of consensus_direction (>= 0.5)")
    models_used: list[str]
    weights: dict[str, float]
    horizon: int = Field(..., ge=1, le=30)
    generated_at: UtcDatetime
    signal: Signal = Field(..., description="skill: weighted models; no_edge: no model beat always-up, drift forecast")
    consensus_holdout_da: float = Field(..., description="The consensus' DA (%) on the hold-out block alone")
    holdout_always_up_da: float = Field(..., description="Always-up DA (%) on the same hold-out points")
    holdout_da_ci_low: float = Field(..., description="95% interval for consensus_holdout_da (Newey-West)")
    holdout_da_ci_high: float = Field(..., description="Upper end of that interval")
    n_holdout: int = Field(..., ge=0)

    @model_validator(mode="after")
    def _direction_is_the_likelier_one(self) -> "ConsensusResponse":
        # The consensus calls the direction its calibrated probability favours, so its confidence is never
        # below one half; the bounds of the wire type stay those of the contract.
        if self.confidence < 0.5:
            raise ValueError("consensus confidence must be >= 0.5 (it names the likelier direction)")
        if (self.signal == "no_edge") != (not self.weights):
            raise ValueError("signal is no_edge exactly when no model is weighted")
        return self
