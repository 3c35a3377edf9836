"""GET /runs: the runs the store keeps, newest first (a read endpoint takes ``?run_id=`` to read one)."""

from pydantic import BaseModel, Field

from servicekit.timestamps import UtcDatetime


class RunInfo(BaseModel):
    run_id: str
    generated_at: UtcDatetime
    data_source: str = Field(
        ..., description="Bundled data set name or CSV path the run was fitted on (comma-separated: one per asset)"
    )
    assets: list[str] = Field(..., description="The names of the assets the run forecasts (?asset=), the default first")
    horizons: list[int]
    verdict: str
    latest: bool = Field(..., description="The run served when no ?run_id= is given")


class RunListResponse(BaseModel):
    runs: list[RunInfo]
    total: int
    latest_run_id: str | None = None
