"""GET /assets: the assets of a run (the read endpoints take ``?asset=`` to read one)."""

from datetime import date

from pydantic import BaseModel, Field


class AssetInfo(BaseModel):
    name: str = Field(..., description="The asset's key in ?asset=: a bundled set's name or a CSV file's stem")
    source: str = Field(..., description="Bundled data set (arch:sp500) or CSV path the asset was read from")
    price_column: str
    n_rows: int = Field(..., ge=1, description="Rows of the price series")
    start_date: date
    end_date: date
    last_price: float = Field(..., gt=0)
    last_date: date
    has_volume: bool
    default: bool = Field(..., description="The asset served when no ?asset= is given (the run's first)")


class AssetListResponse(BaseModel):
    run_id: str
    assets: list[AssetInfo]
    total: int
    default_asset: str
