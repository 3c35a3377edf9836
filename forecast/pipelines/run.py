"""CLI entry point: ``cd forecast && python -m pipelines.run [options]``.

Loads a series, runs the walk-forward for every model x horizon on the configured executor (executors.py:
local processes or a Dask cluster), refits on all data for the live forecasts, judges every model against
always-up, writes the run through runcontract into a staging directory and publishes it atomically
(publish.py), only once every task has returned.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Pin math libraries to one thread before numpy/sklearn load: the parallelism is across processes.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from tqdm import tqdm  # noqa: E402

from pipelines import data, executors, models, outputs, publish, report, walkforward  # noqa: E402
from pipelines.assemble import assemble  # noqa: E402
from pipelines.config import EXECUTORS, PipelineConfig  # noqa: E402
from pipelines.features import model_frame  # noqa: E402
from pipelines.methodology import methodology  # noqa: E402
from runcontract.run import DataInfo, RunSummary  # noqa: E402


def _int_list(text: str) -> tuple[int, ...]:
    try:
        vals = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc
    if not vals or vals[0] < 1 or vals[-1] > 30:
        raise argparse.ArgumentTypeError("horizons must be between 1 and 30 trading days")
    return tuple(vals)


def _model_list(text: str) -> tuple[str, ...]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [n for n in names if n not in models.MODEL_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown model(s) {unknown}; choose from {','.join(models.MODEL_NAMES)}")
    return tuple(dict.fromkeys(names))


def parse_args(argv: list[str] | None = None) -> PipelineConfig:
    d = PipelineConfig()
    p = argparse.ArgumentParser(prog="python -m pipelines.run", description=__doc__.splitlines()[0])
    p.add_argument(
        "--data",
        default=d.data,
        help=f"bundled series ({', '.join(sorted(data.BUNDLED))}) or a CSV path (default: %(default)s)",
    )
    p.add_argument("--price-column", default=None, help="price column (default: auto: adj close, close, price)")
    p.add_argument("--models", type=_model_list, default=d.models, help="comma-separated")
    p.add_argument("--horizons", type=_int_list, default=d.horizons, help="e.g. 1,5,10")
    p.add_argument("--results-dir", type=Path, default=d.results_dir)
    p.add_argument("--jobs", type=int, default=d.jobs, help="worker processes (default: all cores)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument(
        "--keep", type=int, default=d.keep, help="complete runs kept in the store (default: RUN_STORE_KEEP or 5)"
    )
    p.add_argument(
        "--publish",
        default=d.publish,
        metavar="dir|postgres://...",
        help="publish into the results folder (dir) or the API's PostgreSQL run store "
        "(default: DATABASE_URL when RUN_STORE=postgres, else dir)",
    )
    p.add_argument("--folds", type=int, default=d.folds, help="walk-forward refits")
    p.add_argument(
        "--cost-bps",
        type=float,
        default=d.cost_bps,
        help="trading cost per unit of turnover, basis points (default: %(default)s)",
    )
    p.add_argument(
        "--holdout",
        type=float,
        default=d.holdout_fraction,
        dest="holdout_fraction",
        help="share of test points held out of every choice (default: %(default)s)",
    )
    p.add_argument("--spa-reps", type=int, default=d.spa_reps, help="SPA bootstrap replications per horizon")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default=d.executor,
        help="where the model x horizon tasks run: joblib processes here, or dask.distributed (default: %(default)s)",
    )
    p.add_argument("--scheduler", default=None, help="dask: address of a running scheduler, e.g. tcp://host:8786")
    p.add_argument(
        "--workers", type=int, default=None, help="dask: worker processes of a local cluster (default: --jobs)"
    )
    p.add_argument("--no-progress", action="store_false", dest="progress", help="hide the progress bar")
    args = vars(p.parse_args(argv))
    try:
        return PipelineConfig(**args)
    except ValueError as exc:
        p.error(str(exc))
        raise  # unreachable: p.error exits


def walk_forward(
    config: PipelineConfig, X: np.ndarray, price: np.ndarray
) -> dict[tuple[str, int], walkforward.TaskResult]:
    """Every model x horizon task on the configured executor (executors.py), slowest first."""
    asset = config.data
    # Slowest first (longest-processing-time-first), so the workers finish together.
    tasks = sorted(
        (executors.WalkForwardTask(asset, m, h) for m in config.models for h in config.horizons),
        key=lambda t: (-models.capabilities_of(t.model).relative_cost, -t.horizon),
    )
    results = {}
    for r in tqdm(
        executors.run_tasks(config, tasks, {asset: (X, price)}),
        total=len(tasks),
        desc="model x horizon",
        unit="fit",
        disable=not config.progress,
        file=sys.stderr,
    ):
        results[(r.model_name, r.horizon)] = r
    return results


def run_pipeline(config: PipelineConfig) -> tuple[str, Path | str]:
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    generated_at = datetime.now(UTC)
    series = data.load_series(config.data, config.price_column, max(config.horizons))
    feats, aligned = model_frame(series.frame)
    X, price = feats.to_numpy(float), aligned["price"].to_numpy(float)
    dates, logp = aligned.index, np.log(price)
    assert isinstance(dates, pd.DatetimeIndex)  # data.load_series indexes the series by date
    for h in config.horizons:  # fail fast, before any worker starts
        try:
            walkforward.make_folds(len(price), h, config.folds)
        except ValueError as exc:
            raise data.DataError(str(exc)) from exc
    timings["load_and_features_s"] = time.perf_counter() - t_start

    t0 = time.perf_counter()
    results = walk_forward(config, X, price)
    timings["walk_forward_s"] = time.perf_counter() - t0
    timings["task_cpu_s"] = float(sum(r.seconds for r in results.values()))

    t0 = time.perf_counter()
    a = assemble(results, config, aligned["price"], list(feats.columns), generated_at)
    timings["skill_and_consensus_s"] = time.perf_counter() - t0
    run_id = publish.new_run_id(generated_at)
    jobs = max(1, min(config.jobs, len(results)))
    staged = publish.staging_dir(config.results_dir, run_id)
    try:
        t0 = time.perf_counter()
        outputs.write_tables(staged, a, results, dates, logp)
        made = outputs.write_charts(staged, a, results, dates, logp, list(config.models), list(config.horizons), jobs)
        images = outputs.image_manifest(staged, made, generated_at)
        timings["outputs_and_charts_s"] = time.perf_counter() - t0
        timings["total_before_publish_s"] = time.perf_counter() - t_start
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
            feature_names=list(feats.columns),
            baselines=a.baselines,
            significance=a.significance,
            parameters=_parameters(config, jobs, len(price), dates, first, results),
            timings={k: round(v, 3) for k, v in timings.items()},
            methodology=methodology(config),
            best_model_edge=a.best_model_edge,
            best_model_holdout_edge=a.best_model_holdout_edge,
            beats_baseline=a.beats_baseline,
            verdict=a.verdict,
            skill_by_horizon=a.skill_by_horizon,
        )
        outputs.write_bundle(staged, summary, a, images)
        final = publish.publish(config.publish, config.results_dir, staged, run_id, keep=config.keep)
    except BaseException:
        # The previous run stays published; don't leave our half-written staging dir behind.
        publish.discard_staging(staged)
        raise
    print(
        report.closing_summary(
            a, list(config.models), list(config.horizons), config.alpha, final, time.perf_counter() - t_start
        )
    )
    return run_id, final


def _parameters(
    config: PipelineConfig,
    jobs: int,
    n_rows: int,
    dates: pd.DatetimeIndex,
    first: walkforward.TaskResult,
    results: dict[tuple[str, int], walkforward.TaskResult],
) -> dict[str, Any]:
    its = [it for r in results.values() for it in r.best_iterations]
    # Where the run was computed or published, not how: addresses (a scheduler's, a database's) stay out of it.
    hidden = ("results_dir", "progress", "price_column", "publish", "scheduler")
    chosen = {k: v for k, v in asdict(config).items() if k not in hidden}
    return {
        **chosen,
        "models": list(config.models),
        "horizons": list(config.horizons),
        "jobs": jobs,
        "test_fraction": walkforward.TEST_FRACTION,
        "rows_after_warmup": n_rows,
        "warmup_rows": data.FEATURE_WARMUP,
        "purge_gap": "h rows (training rows i < first_test_row - h)",
        "test_start": dates[first.test_rows[0]].date().isoformat(),
        "refit_every_rows": int(np.median([f.test_end - f.test_start for f in first.folds])),
        "boosting": models.BOOST_PARAMS,
        "ridge_alpha": models.RIDGE_ALPHA,
        "hybrid_base": models.HYBRID_BASE,
        "boosting_best_iteration_median": float(np.median(its)) if its else None,
    }


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    try:
        run_pipeline(config)
    except data.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except executors.ExecutorError as exc:
        print(f"error: {exc}; nothing was published", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
