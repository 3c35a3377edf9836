"""The run's assets: each data source loaded and turned into model inputs before any task starts, and,
once every walk-forward task has returned, into its files and its section of the bundle.

The first asset's files go at the top of the run directory (as a run of one asset always had them); every
other asset's under ``assets/<name>/`` (runcontract/run.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines import data, models, outputs, walkforward
from pipelines.assemble import Assembled
from pipelines.config import PipelineConfig
from pipelines.features import model_frame
from pipelines.methodology import methodology
from runcontract.run import ASSETS_DIRNAME, AssetResult, DataInfo, RunImage, RunSummary

Results = dict[tuple[str, int], walkforward.TaskResult]  # (model, horizon) -> result, of one asset


@dataclass(frozen=True)
class LoadedAsset:
    name: str
    series: data.PriceSeries
    feature_names: list[str]
    prices: pd.Series  # aligned with the feature rows, indexed by date
    X: np.ndarray

    @property
    def price(self) -> np.ndarray:
        return self.prices.to_numpy(float)

    @property
    def dates(self) -> pd.DatetimeIndex:
        index = self.prices.index
        assert isinstance(index, pd.DatetimeIndex)  # data.load_series indexes every series by date
        return index

    @property
    def logp(self) -> np.ndarray:
        logp: np.ndarray = np.log(self.price)
        return logp


def load_assets(config: PipelineConfig) -> list[LoadedAsset]:
    """Every source of ``config.data``, checked (history, folds) before any worker starts."""
    loaded = []
    for name, source in zip(config.asset_names, config.data, strict=True):
        series = data.load_series(source, config.price_column, max(config.horizons))
        feats, aligned = model_frame(series.frame)
        asset = LoadedAsset(name, series, list(feats.columns), aligned["price"], feats.to_numpy(float))
        for h in config.horizons:
            try:
                walkforward.make_folds(len(asset.price), h, config.folds)
            except ValueError as exc:
                raise data.DataError(f"{source}: {exc}" if len(config.data) > 1 else str(exc)) from exc
        loaded.append(asset)
    return loaded


def asset_dir(staged: Path, index: int, asset: LoadedAsset) -> tuple[Path, str]:
    """Where the asset's files go, and the prefix of their paths relative to the run directory."""
    if index == 0:
        return staged, ""
    prefix = f"{ASSETS_DIRNAME}/{asset.name}/"
    out = staged / prefix
    out.mkdir(parents=True)
    return out, prefix


def write_files(
    staged: Path,
    index: int,
    asset: LoadedAsset,
    a: Assembled,
    results: Results,
    config: PipelineConfig,
    jobs: int,
    generated_at: datetime,
) -> list[RunImage]:
    """The asset's tables and charts; returns its image manifest (paths relative to the run directory)."""
    out, prefix = asset_dir(staged, index, asset)
    outputs.write_tables(out, a, results, asset.dates, asset.logp)
    horizons = list(config.horizons)
    made = outputs.write_charts(out, a, results, asset.dates, asset.logp, list(config.models), horizons, jobs)
    return outputs.image_manifest(out, made, generated_at, prefix=prefix)


def section(
    config: PipelineConfig,
    asset: LoadedAsset,
    a: Assembled,
    images: list[RunImage],
    results: Results,
    run_id: str,
    generated_at: datetime,
    timings: dict[str, float],
    jobs: int,
) -> AssetResult:
    """The asset's part of the bundle; its summary carries the run's timings and methodology."""
    series, price, dates = asset.series, asset.price, asset.dates
    first = results[(config.models[0], config.horizons[0])]
    summary = RunSummary(
        run_id=run_id,
        generated_at=generated_at,
        best_model_overall=a.best_model_overall,
        avg_da_by_model=a.avg_da_by_model,
        horizons=list(config.horizons),
        n_models=len(config.models),
        data=DataInfo(
            source=series.source,
            price_column=series.price_column,
            start_date=series.frame.index[0].date(),
            end_date=series.frame.index[-1].date(),
            n_rows=len(series.frame),
            last_price=float(price[-1]),
            last_date=dates[-1].date(),
            has_volume=series.has_volume,
        ),
        feature_names=asset.feature_names,
        baselines=a.baselines,
        significance=a.significance,
        parameters=parameters(config, asset, jobs, first, results),
        timings={k: round(v, 3) for k, v in timings.items()},
        methodology=methodology(config),
        best_model_edge=a.best_model_edge,
        best_model_holdout_edge=a.best_model_holdout_edge,
        beats_baseline=a.beats_baseline,
        verdict=a.verdict,
        skill_by_horizon=a.skill_by_horizon,
    )
    return AssetResult(
        name=asset.name,
        summary=summary,
        models=a.summaries,
        metrics=a.metrics,
        forecasts=a.forecasts,
        consensus=a.consensus,
        feature_importance=a.importances,
        images=images,
    )


def parameters(
    config: PipelineConfig, asset: LoadedAsset, jobs: int, first: walkforward.TaskResult, results: Results
) -> dict[str, Any]:
    its = [it for r in results.values() for it in r.best_iterations]
    dates = asset.dates
    # Where the run was computed or published, not how: addresses (a scheduler's, a database's) stay out of it.
    hidden = ("results_dir", "progress", "price_column", "publish", "scheduler")
    chosen = {k: v for k, v in asdict(config).items() if k not in hidden}
    return {
        **chosen,
        "data": config.data[config.asset_names.index(asset.name)],  # this asset's source, as in a 1-asset run
        **({"assets": config.asset_names} if len(config.data) > 1 else {}),
        "models": list(config.models),
        "horizons": list(config.horizons),
        "jobs": jobs,
        "test_fraction": walkforward.TEST_FRACTION,
        "rows_after_warmup": len(asset.price),
        "warmup_rows": data.FEATURE_WARMUP,
        "purge_gap": "h rows (training rows i < first_test_row - h)",
        "test_start": dates[first.test_rows[0]].date().isoformat(),
        "refit_every_rows": int(np.median([f.test_end - f.test_start for f in first.folds])),
        "boosting": models.BOOST_PARAMS,
        "ridge_alpha": models.RIDGE_ALPHA,
        "hybrid_base": models.HYBRID_BASE,
        "boosting_best_iteration_median": float(np.median(its)) if its else None,
    }
