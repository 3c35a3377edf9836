"""CLI entry point: ``cd forecast && python -m pipelines.run [options]``.

Loads every asset's series, runs the walk-forward for every asset x model x horizon on the configured
executor (executors.py: local processes or a Dask cluster), refits on all data for the live forecasts, judges every model against
always-up, writes the run through runcontract into a staging directory and publishes it atomically
(publish.py), only once every task has returned.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

# Pin math libraries to one thread before numpy/sklearn load: the parallelism is across processes.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from pipelines import assets, data, executors, models, outputs, publish, report, walkforward  # noqa: E402
from pipelines.assemble import assemble  # noqa: E402
from pipelines.config import EXECUTORS, PipelineConfig  # noqa: E402


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


def _sources(text: str) -> tuple[str, ...]:
    try:
        sources = data.parse_sources(text)
        data.asset_names(sources)
    except data.DataError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return sources


def parse_args(argv: list[str] | None = None) -> PipelineConfig:
    d = PipelineConfig()
    p = argparse.ArgumentParser(prog="python -m pipelines.run", description=__doc__.splitlines()[0])
    p.add_argument(
        "--data",
        type=_sources,
        default=d.data,
        help=f"the run's assets, the default one first: bundled series ({', '.join(sorted(data.BUNDLED))}) "
        "and CSV paths, comma-separated, or a .toml file listing them as assets = [...] (default: sp500)",
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


def walk_forward_assets(
    config: PipelineConfig, arrays: Mapping[str, executors.AssetArrays]
) -> dict[str, dict[tuple[str, int], walkforward.TaskResult]]:
    """Every asset x model x horizon task on the configured executor (executors.py), slowest first;
    the results by asset, then by (model, horizon)."""
    # Slowest first (longest-processing-time-first), so the workers finish together.
    tasks = sorted(
        (executors.WalkForwardTask(a, m, h) for a in arrays for m in config.models for h in config.horizons),
        key=lambda t: (-models.capabilities_of(t.model).relative_cost, -t.horizon),
    )
    results: dict[str, dict[tuple[str, int], walkforward.TaskResult]] = {a: {} for a in arrays}
    desc = "model x horizon" if len(arrays) == 1 else "asset x model x horizon"
    for r in tqdm(
        executors.run_tasks(config, tasks, arrays),
        total=len(tasks),
        desc=desc,
        unit="fit",
        disable=not config.progress,
        file=sys.stderr,
    ):
        results[r.asset][(r.model_name, r.horizon)] = r
    return results


def walk_forward(
    config: PipelineConfig, X: np.ndarray, price: np.ndarray
) -> dict[tuple[str, int], walkforward.TaskResult]:
    """Every model x horizon task of one asset (the config's first)."""
    asset = config.asset_names[0]
    return walk_forward_assets(config, {asset: (X, price)})[asset]


def run_pipeline(config: PipelineConfig) -> tuple[str, Path | str]:
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    generated_at = datetime.now(UTC)
    loaded = assets.load_assets(config)  # fails fast, before any worker starts
    timings["load_and_features_s"] = time.perf_counter() - t_start

    t0 = time.perf_counter()
    results = walk_forward_assets(config, {a.name: (a.X, a.price) for a in loaded})
    timings["walk_forward_s"] = time.perf_counter() - t0
    timings["task_cpu_s"] = float(sum(r.seconds for rs in results.values() for r in rs.values()))

    t0 = time.perf_counter()
    assembled = [assemble(results[a.name], config, a.prices, a.feature_names, generated_at) for a in loaded]
    timings["skill_and_consensus_s"] = time.perf_counter() - t0
    run_id = publish.new_run_id(generated_at)
    jobs = max(1, min(config.jobs, len(config.models) * len(config.horizons)))
    staged = publish.staging_dir(config.results_dir, run_id)
    try:
        t0 = time.perf_counter()
        images = [
            assets.write_files(staged, i, asset, a, results[asset.name], config, jobs, generated_at)
            for i, (asset, a) in enumerate(zip(loaded, assembled, strict=True))
        ]
        timings["outputs_and_charts_s"] = time.perf_counter() - t0
        timings["total_before_publish_s"] = time.perf_counter() - t_start
        sections = [
            assets.section(config, asset, a, imgs, results[asset.name], run_id, generated_at, timings, jobs)
            for asset, a, imgs in zip(loaded, assembled, images, strict=True)
        ]
        outputs.write_bundle(staged, sections)
        final = publish.publish(config.publish, config.results_dir, staged, run_id, keep=config.keep)
    except BaseException:
        # The previous run stays published; don't leave our half-written staging dir behind.
        publish.discard_staging(staged)
        raise
    seconds = time.perf_counter() - t_start
    for asset, a in zip(loaded, assembled, strict=True):
        if len(loaded) > 1:
            print(f"\n== asset {asset.name} ({asset.series.source})")
        print(report.closing_summary(a, list(config.models), list(config.horizons), config.alpha, final, seconds))
    return run_id, final


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
