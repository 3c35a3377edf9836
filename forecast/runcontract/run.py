"""The published pipeline run: the one document the pipeline writes and the API serves.

Layout under the results directory (the pipeline writes it, the API only reads it):

    <results_dir>/runs/<run_id>/run.json      RunBundle, validated on write and on load
    <results_dir>/runs/<run_id>/*.csv, *.json human/BI files (metrics.csv, forecasts.csv, summary.json, ...)
    <results_dir>/runs/<run_id>/images/*.png  charts listed in RunBundle.images
    <results_dir>/runs/<run_id>/assets/<name>/ the same files (tables, images/) for every asset but the
                                              first, whose files are the ones at the top
    <results_dir>/LATEST                      the published run_id, replaced atomically (os.replace)

A run directory is complete before LATEST names it, so a reader that resolves LATEST once and reads
only inside that directory never sees a partial or mixed run.
"""

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, model_validator

from runcontract.forecasts import ConsensusResponse, ForecastResponse
from runcontract.images import ImageMetadata
from runcontract.models import FeatureImportance, HorizonSkill, ModelMetrics, ModelSummary
from servicekit.timestamps import UtcDatetime

RUNS_DIRNAME = "runs"
LATEST_POINTER = "LATEST"
RUN_BUNDLE_FILE = "run.json"
# 2: baselines, intervals and p-values on every metrics row, the skill verdict, the hold-out consensus.
# Still 2 with ``assets`` (one section per asset; the top-level fields stay the first asset's): the field
# is optional, so a bundle without it reads as a run of one asset, and a reader that predates it serves
# the first asset.
BUNDLE_SCHEMA_VERSION = 2
# An asset's name is its key in ``?asset=`` and its folder under ``assets/`` in the run directory.
ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ASSETS_DIRNAME = "assets"


def asset_name(source: str) -> str:
    """The name an asset goes by, from its data source: a bundled set's name (``arch:wti`` -> ``wti``) or
    a CSV file's stem (``/data/my prices.csv`` -> ``my_prices``)."""
    base = source.removeprefix("arch:")
    base = base.replace("\\", "/").rsplit("/", 1)[-1]
    if base.lower().endswith(".csv"):
        base = base[:-4]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-")[:64]
    return name or "asset"


class DataInfo(BaseModel):
    source: str = Field(..., description="Bundled data set name or CSV path")
    price_column: str
    start_date: date
    end_date: date
    n_rows: int = Field(..., ge=1)
    last_price: float = Field(..., gt=0)
    last_date: date
    has_volume: bool = False


class HorizonBaseline(BaseModel):
    """Naive directional accuracies (%) over the same out-of-sample points the models are scored on."""

    horizon: int = Field(..., ge=1, le=30)
    n_test: int = Field(..., ge=0)
    always_up_da: float
    last_sign_da: float = Field(..., description="Predict the sign of the last h-day return")


class DirectionalSignificance(BaseModel):
    model_name: str
    horizon: int = Field(..., ge=1, le=30)
    da_test: float
    n_test: int = Field(..., ge=0)
    test: str = Field(..., description="e.g. pesaran_timmermann_hac")
    statistic: float | None = None
    p_value: float | None = Field(None, ge=0, le=1, description="None when the test is undefined")
    note: str | None = None


class RunSummary(BaseModel):
    """summary.json: the spec's keys plus what a reader needs to judge the numbers."""

    run_id: str
    generated_at: UtcDatetime
    best_model_overall: str
    avg_da_by_model: dict[str, float]
    horizons: list[int]
    n_models: int
    data: DataInfo
    feature_names: list[str]
    best_model_edge: float = Field(
        ..., description="best_model_overall's avg DA minus always-up's, over all test points (pp)"
    )
    best_model_holdout_edge: float = Field(
        ..., description="best_model_overall's DA minus always-up's on the hold-out block, averaged over horizons (pp)"
    )
    beats_baseline: bool
    verdict: str
    skill_by_horizon: list[HorizonSkill]
    baselines: list[HorizonBaseline] = []
    significance: list[DirectionalSignificance] = []
    parameters: dict[str, Any] = {}
    timings: dict[str, float] = {}
    methodology: dict[str, str] = {}


class RunImage(BaseModel):
    metadata: ImageMetadata
    file: str = Field(..., description="Path relative to the run directory")


def _check_run_parts(
    summary: RunSummary,
    models: list[ModelSummary],
    metrics: list[ModelMetrics],
    forecasts: list[ForecastResponse],
    consensus: list[ConsensusResponse],
    images: list[RunImage],
) -> None:
    model_names = {m.model_name for m in models}
    horizons = set(summary.horizons)
    if not model_names:
        raise ValueError("a run needs at least one model")
    for row in metrics:
        if row.model_name not in model_names or row.horizon not in horizons:
            raise ValueError(f"metrics row for unknown model/horizon {row.model_name}/{row.horizon}")
    for fc in forecasts:
        if fc.model not in model_names or fc.horizon not in horizons:
            raise ValueError(f"forecast for unknown model/horizon {fc.model}/{fc.horizon}")
    consensus_horizons = [c.horizon for c in consensus]
    if sorted(consensus_horizons) != sorted(horizons):
        raise ValueError("there must be exactly one consensus per horizon")
    image_ids = [img.metadata.image_id for img in images]
    if len(image_ids) != len(set(image_ids)):
        raise ValueError("image ids must be unique within a run")
    if summary.best_model_overall not in model_names:
        raise ValueError("best_model_overall is not one of the run's models")
    if sorted(s.horizon for s in summary.skill_by_horizon) != sorted(horizons):
        raise ValueError("there must be exactly one skill verdict per horizon")


class AssetResult(BaseModel):
    """Everything the run says about one asset: the same parts as the bundle's top level, which repeats
    the first asset's. Its charts' files lie under ``assets/<name>/`` (the first asset's: at the top)."""

    name: str = Field(..., description="The asset's key in ?asset=: a bundled set's name or a CSV file's stem")
    summary: RunSummary
    models: list[ModelSummary]
    metrics: list[ModelMetrics]
    forecasts: list[ForecastResponse]
    consensus: list[ConsensusResponse]
    feature_importance: list[FeatureImportance]
    images: list[RunImage] = []

    @model_validator(mode="after")
    def _check_consistency(self) -> "AssetResult":
        if not ASSET_NAME.match(self.name):
            raise ValueError(f"asset name {self.name!r} must match {ASSET_NAME.pattern}")
        _check_run_parts(self.summary, self.models, self.metrics, self.forecasts, self.consensus, self.images)
        return self


class RunBundle(BaseModel):
    schema_version: int = BUNDLE_SCHEMA_VERSION
    summary: RunSummary
    models: list[ModelSummary]
    metrics: list[ModelMetrics]
    forecasts: list[ForecastResponse]
    consensus: list[ConsensusResponse]
    feature_importance: list[FeatureImportance]
    images: list[RunImage] = []
    # Every asset of the run, the first one first (empty in a version-2 bundle: one asset, the top level).
    assets: list[AssetResult] = []

    @classmethod
    def of_assets(cls, sections: list[AssetResult]) -> "RunBundle":
        """The bundle of a run: the first asset's parts repeated at the top level, every asset in ``assets``."""
        first = sections[0]
        return cls(
            summary=first.summary,
            models=first.models,
            metrics=first.metrics,
            forecasts=first.forecasts,
            consensus=first.consensus,
            feature_importance=first.feature_importance,
            images=first.images,
            assets=sections,
        )

    @model_validator(mode="after")
    def _check_consistency(self) -> "RunBundle":
        _check_run_parts(self.summary, self.models, self.metrics, self.forecasts, self.consensus, self.images)
        names = [a.name for a in self.assets]
        if len(names) != len(set(names)):
            raise ValueError("asset names must be unique within a run")
        if self.assets and self.assets[0].summary.data != self.summary.data:
            raise ValueError("the top-level fields must describe the first asset")
        return self

    def asset_names(self) -> list[str]:
        """The run's assets, the default (first) one first."""
        return [a.name for a in self.assets] or [asset_name(self.summary.data.source)]

    def for_asset(self, asset: AssetResult) -> "RunBundle":
        """This run as if it held ``asset`` alone (what the API serves for ``?asset=``)."""
        return RunBundle.model_construct(
            schema_version=self.schema_version,
            summary=asset.summary,
            models=asset.models,
            metrics=asset.metrics,
            forecasts=asset.forecasts,
            consensus=asset.consensus,
            feature_importance=asset.feature_importance,
            images=asset.images,
            assets=[],
        )
