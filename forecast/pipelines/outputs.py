"""Write a run's files into its staging directory, all through the runcontract models.

run.json (the RunBundle) is written last: publish.py refuses to publish a directory without it, so a
half-written staging directory can never be published.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from pipelines import backtest, charts
from pipelines.assemble import FAN_QUANTILES, Assembled
from pipelines.walkforward import TaskResult
from runcontract.images import ImageMetadata, ImageType
from runcontract.run import ASSETS_DIRNAME, RUN_BUNDLE_FILE, AssetResult, RunBundle, RunImage

Results = dict[tuple[str, int], TaskResult]
# (image id, kind, model, horizon); model and horizon are None for the run-wide charts.
ImageRef = tuple[str, ImageType, str | None, int | None]

IMAGES_DIR = "images"


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as fh:
        if not rows:
            return
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def backtest_frame(r: TaskResult, dates: pd.DatetimeIndex, logp: np.ndarray) -> pd.DataFrame:
    """Daily series of one model x horizon; the row dated d+1 holds the return earned over d -> d+1."""
    days = np.arange(r.test_rows[0], r.test_rows[-1] + r.horizon)
    equity = backtest.equity_curve(r.strategy_returns)
    hold = np.exp(logp[days + 1] - logp[days[0]])
    return pd.DataFrame(
        {
            "date": dates[days + 1],
            "position": r.positions,
            "strategy_return": r.strategy_returns,
            "equity": equity,
            "drawdown": backtest.drawdown_series(equity),
            "buy_hold": hold,
        }
    )


_METRICS_COLUMNS = ("model", "horizon", "da_train", "da_test", "variance_ratio", "rmse", "mae")
_FORECASTS_COLUMNS = (
    "model",
    "horizon",
    "prediction",
    "direction",
    "confidence",
    "prediction_price",
    "prediction_date",
    "generated_at",
)
_CONSENSUS_COLUMNS = ("horizon", "consensus_prediction", "consensus_direction", "confidence", "models_used", "weights")


def _columns_first(d: dict[str, Any], columns: tuple[str, ...], *, rest: bool = True) -> dict[str, Any]:
    """A CSV row: ``columns`` of ``d`` in that order, then (with ``rest``) the others as they come."""
    first = {k: d[k] for k in columns}
    return first | {k: v for k, v in d.items() if k not in first} if rest else first


def write_tables(out: Path, a: Assembled, results: Results, dates: pd.DatetimeIndex, logp: np.ndarray) -> None:
    last_date = dates[-1].date().isoformat()
    # Spec section 7 columns first, then the rest of ModelMetrics.
    metrics = [m.model_dump() for m in a.metrics]
    for d in metrics:
        d["model"] = d.pop("model_name")
    _write_csv(out / "metrics.csv", [_columns_first(d, _METRICS_COLUMNS) for d in metrics])
    forecasts = [f.model_dump(mode="json") for f in a.forecasts]
    rows = [{"date": last_date} | _columns_first(d, _FORECASTS_COLUMNS, rest=False) for d in forecasts]
    _write_csv(out / "forecasts.csv", rows)
    consensus = [c.model_dump(mode="json") for c in a.consensus]
    for d in consensus:
        d["models_used"] = ";".join(d["models_used"])
        d["weights"] = json.dumps(d["weights"])
    rows = [{"date": last_date} | _columns_first(d, _CONSENSUS_COLUMNS) for d in consensus]
    _write_csv(out / "consensus.csv", rows)
    _write_csv(
        out / "feature_importance.csv",
        [
            {"model": fi.model_name, "horizon": fi.horizon, "rank": i + 1, "feature": k, "importance": v}
            for fi in a.importances
            for i, (k, v) in enumerate(fi.features.items())
        ],
    )
    frames = []
    for (model, h), r in results.items():
        df = backtest_frame(r, dates, logp)
        df.insert(0, "horizon", h)
        df.insert(0, "model", model)
        frames.append(df)
    pd.concat(frames).to_csv(out / "backtest_series.csv", index=False, float_format="%.8g", date_format="%Y-%m-%d")


def _pair_charts(img_dir: Path, m: str, h: int, bt: pd.DataFrame, feats: dict[str, float]) -> list[ImageRef]:
    made: list[ImageRef] = []
    i = charts.image_id("backtest_equity", m, h)
    charts.backtest_equity(
        img_dir / f"{i}.png",
        bt["date"],
        bt["equity"].to_numpy(),
        bt["buy_hold"].to_numpy(),
        f"{m}, h={h}: backtest wealth (out of sample)",
    )
    made.append((i, "backtest_equity", m, h))
    i = charts.image_id("backtest_drawdown", m, h)
    charts.backtest_drawdown(
        img_dir / f"{i}.png", bt["date"], bt["drawdown"].to_numpy(), f"{m}, h={h}: backtest drawdown"
    )
    made.append((i, "backtest_drawdown", m, h))
    i = charts.image_id("feature_importance", m, h)
    charts.feature_importance(img_dir / f"{i}.png", feats, f"{m}, h={h}: top features")
    made.append((i, "feature_importance", m, h))
    return made


def write_charts(
    out: Path,
    a: Assembled,
    results: Results,
    dates: pd.DatetimeIndex,
    logp: np.ndarray,
    models: list[str],
    horizons: list[int],
    n_jobs: int,
) -> list[ImageRef]:
    img_dir = out / IMAGES_DIR
    img_dir.mkdir(exist_ok=True)
    made: list[ImageRef] = []
    da_of = {(x.model_name, x.horizon): x.da_test for x in a.metrics}
    da = np.array([[da_of[(m, h)] for h in horizons] for m in models])
    base = {b.horizon: b.always_up_da for b in a.baselines}
    always_up = [base[h] for h in horizons]
    i = charts.image_id("model_ranking")
    charts.model_ranking(
        img_dir / f"{i}.png", horizons, {m: list(row) for m, row in zip(models, da, strict=True)}, always_up
    )
    made.append((i, "model_ranking", None, None))
    i = charts.image_id("metrics_heatmap")
    charts.metrics_heatmap(img_dir / f"{i}.png", models, horizons, da, always_up)
    made.append((i, "metrics_heatmap", None, None))

    i = charts.image_id("forecast_fan_chart")
    hist = slice(max(len(dates) - 250, 0), len(dates))
    last_p = float(np.exp(logp[-1]))
    hs = sorted(a.fan)
    fc_dates = pd.DatetimeIndex([dates[-1]] + [pd.Timestamp(a.fan[h]["date"]) for h in hs])
    center = np.array([last_p] + [last_p * np.exp(a.fan[h]["prediction"]) for h in hs])
    bands = {}
    for ql, qh in FAN_QUANTILES:
        lo = [last_p] + [last_p * np.exp(a.fan[h]["prediction"] + a.fan[h]["quantiles"][ql]) for h in hs]
        hi = [last_p] + [last_p * np.exp(a.fan[h]["prediction"] + a.fan[h]["quantiles"][qh]) for h in hs]
        bands[(ql, qh)] = (np.array(lo), np.array(hi))
    charts.forecast_fan_chart(
        img_dir / f"{i}.png",
        dates[hist],
        np.exp(logp[hist]),
        fc_dates,
        center,
        bands,
        "Consensus forecast with out-of-sample error quantiles",
    )
    made.append((i, "forecast_fan_chart", None, None))

    imp = {(fi.model_name, fi.horizon): fi.features for fi in a.importances}
    jobs = [
        delayed(_pair_charts)(img_dir, m, h, backtest_frame(results[(m, h)], dates, logp), imp[(m, h)])
        for m in models
        for h in horizons
    ]
    for chunk in Parallel(n_jobs=n_jobs)(jobs):
        made.extend(chunk)
    return made


def image_manifest(out: Path, made: list[ImageRef], generated_at: datetime, prefix: str = "") -> list[RunImage]:
    """The charts written under ``out``; ``prefix`` is ``out``'s path relative to the run directory."""
    images = []
    for image_id, kind, m, h in made:
        rel = f"{IMAGES_DIR}/{image_id}.png"
        p = out / rel
        images.append(
            RunImage(
                file=prefix + rel,
                metadata=ImageMetadata(
                    image_id=image_id,
                    image_type=kind,
                    model_name=m,
                    horizon=h,
                    generated_at=generated_at,
                    file_size_bytes=p.stat().st_size,
                    dimensions=charts.png_dimensions(p),
                ),
            )
        )
    return images


def write_bundle(out: Path, sections: list[AssetResult]) -> RunBundle:
    """run.json: the first asset's parts at the top level, every asset's in ``assets``; and each asset's
    summary.json beside its tables."""
    bundle = RunBundle.of_assets(sections)
    for i, section in enumerate(sections):
        folder = out if i == 0 else out / ASSETS_DIRNAME / section.name
        (folder / "summary.json").write_text(section.summary.model_dump_json(indent=2))
    # Validate the exact bytes a reader will load, not just the in-memory object.
    text = bundle.model_dump_json(indent=1)
    RunBundle.model_validate_json(text)
    (out / RUN_BUNDLE_FILE).write_text(text)
    return bundle
