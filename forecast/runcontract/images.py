"""The charts a run publishes, as listed in RunBundle.images."""

from typing import Literal

from pydantic import BaseModel, Field

from servicekit.timestamps import UtcDatetime

ImageType = Literal[
    "model_ranking",
    "metrics_heatmap",
    "backtest_equity",
    "backtest_drawdown",
    "forecast_fan_chart",
    "feature_importance",
]


class ImageMetadata(BaseModel):
    image_id: str
    image_type: ImageType
    model_name: str | None = None
    horizon: int | None = None
    generated_at: UtcDatetime
    file_size_bytes: int = Field(..., ge=0)
    dimensions: tuple[int, int]  # (width, height) in pixels
