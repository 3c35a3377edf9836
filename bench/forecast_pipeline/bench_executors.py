"""Time the whole pipeline (`run_pipeline`: walk-forward, charts, publish) for 1 asset and for 3 assets (the
bundled S&P 500 and WTI series and a CSV of the S&P 500 written for the run), each with the local executor
(joblib, 2 processes) and with Dask (a 2-worker LocalCluster started for the run), in one run. The four
configurations are interleaved (1-local, 1-dask, 3-local, 3-dask, then again for each further round),
since other work on the machine makes single timings noisy. Also checks that both executors give the same
metrics for every asset.

A shorter configuration than the default run, so that the eight runs fit in a few minutes: 3 models
(ridge, lightgbm, xgboost) x 3 horizons (1, 5, 20), 10 folds: 9 tasks per asset, 27 for three.

Usage: .venv/bin/python bench/forecast_pipeline/bench_executors.py [OUT_DIR] [--rounds N]
       [--models ridge,lightgbm,xgboost] [--horizons 1,5,20]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

from pipelines.config import PipelineConfig
from pipelines.data import load_bundled
from pipelines.run import run_pipeline
from runcontract.run import RUN_BUNDLE_FILE, RunBundle

Metrics = dict[tuple[str, str, int], float]  # (asset, model, horizon) -> da_test


def _config(executor: str, data: tuple[str, ...], results: Path, args: argparse.Namespace) -> PipelineConfig:
    common = dict(data=data, models=args.models, horizons=args.horizons, results_dir=results, progress=False)
    if executor == "dask":
        return PipelineConfig(**common, executor="dask", workers=2)
    return PipelineConfig(**common, jobs=2)


def _csv_asset(folder: Path) -> str:
    """The third asset: the S&P 500's closes as a user's CSV (date, close), under a name of its own."""
    frame = load_bundled("sp500").frame.rename(columns={"price": "close"})
    path = folder / "desk.csv"
    frame.to_csv(path, index_label="date", float_format="%.6f")
    return str(path)


def _run(config: PipelineConfig) -> tuple[float, RunBundle]:
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the closing summary of every run
        _run_id, run_dir = run_pipeline(config)
    wall = time.perf_counter() - t0
    assert isinstance(run_dir, Path)
    return wall, RunBundle.model_validate_json((run_dir / RUN_BUNDLE_FILE).read_text())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out", nargs="?", type=Path, default=None)
    p.add_argument("--rounds", type=int, default=1, help="rounds of the four configurations (default: %(default)s)")
    p.add_argument("--models", type=lambda s: tuple(s.split(",")), default=("ridge", "lightgbm", "xgboost"))
    p.add_argument("--horizons", type=lambda s: tuple(int(h) for h in s.split(",")), default=(1, 5, 20))
    args = p.parse_args()
    runs: list[dict[str, object]] = []
    metrics: dict[tuple[int, str], Metrics] = {}
    with tempfile.TemporaryDirectory() as tmp:
        asset_sets = {1: ("sp500",), 3: ("sp500", "wti", _csv_asset(Path(tmp)))}
        for i in range(args.rounds):
            for n_assets, data in asset_sets.items():
                for executor in ("local", "dask"):
                    results = Path(tmp) / f"{n_assets}-{executor}-{i}"
                    wall, bundle = _run(_config(executor, data, results, args))
                    sections = bundle.assets
                    metrics[(n_assets, executor)] = {
                        (a.name, m.model_name, m.horizon): m.da_test for a in sections for m in a.metrics
                    }
                    timings = bundle.summary.timings
                    runs.append(
                        {
                            "assets": n_assets,
                            "executor": executor,
                            "round": i + 1,
                            "tasks": len(metrics[(n_assets, executor)]),
                            "wall_s": round(wall, 1),
                            "walk_forward_s": timings["walk_forward_s"],
                            "task_cpu_s": timings["task_cpu_s"],
                            "outputs_and_charts_s": timings["outputs_and_charts_s"],
                        }
                    )
                    print(json.dumps(runs[-1]), flush=True)
    diff = max(
        abs(metrics[(n, "local")][k] - metrics[(n, "dask")][k]) for n in asset_sets for k in metrics[(n, "local")]
    )
    report = {
        "models": list(args.models),
        "horizons": list(args.horizons),
        "max_abs_da_test_diff": diff,
        "runs": runs,
    }
    head = f"{'assets':>6} {'executor':8} {'round':>5} {'tasks':>5} {'wall s':>7} {'walk-forward s':>15} {'task CPU s':>11}"
    print("\n" + head)
    for r in runs:
        print(
            f"{r['assets']:>6} {r['executor']:8} {r['round']:>5} {r['tasks']:>5} {r['wall_s']:>7} "
            f"{r['walk_forward_s']:>15} {r['task_cpu_s']:>11}"
        )
    print(f"max |da_test(local) - da_test(dask)| over every asset x model x horizon: {diff}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "executors.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
