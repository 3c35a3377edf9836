from typing import Any

from pydantic import BaseModel, Field

from servicekit.timestamps import UtcDatetime


class MethodologyResponse(BaseModel):
    """How every number of the published run is defined, in that run's own words and settings."""

    run_id: str
    generated_at: UtcDatetime
    methodology: dict[str, str] = Field(..., description="Definition of each published quantity, by topic")
    parameters: dict[str, Any] = Field(..., description="The run's settings (cost_bps, holdout_fraction, ...)")
