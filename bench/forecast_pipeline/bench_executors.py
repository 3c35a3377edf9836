"""Time the whole pipeline (`run_pipeline`: 9 models x 7 horizons, 10 folds, charts, publish) for one asset
with the local executor (joblib, 2 processes) and with Dask (a 2-worker LocalCluster started for the run),
interleaved local, dask, local, dask, since other work on the machine makes single timings noisy. Also
checks that both executors give the same metrics.

Usage: .venv/bin/python bench/forecast_pipeline/bench_executors.py [OUT_DIR] [--rounds N] [--data sp500]
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
from pipelines.run import run_pipeline
from runcontract.run import RUN_BUNDLE_FILE, RunBundle


def _config(executor: str, data: str, results: Path) -> PipelineConfig:
    if executor == "dask":
        return PipelineConfig(data=data, results_dir=results, executor="dask", workers=2, progress=False)
    return PipelineConfig(data=data, results_dir=results, jobs=2, progress=False)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out", nargs="?", type=Path, default=None)
    p.add_argument("--rounds", type=int, default=2, help="local+dask pairs (default: %(default)s)")
    p.add_argument("--data", default="sp500")
    args = p.parse_args()
    runs: list[dict[str, object]] = []
    metrics: dict[str, dict[tuple[str, int], float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            for executor in ("local", "dask"):
                config = _config(executor, args.data, Path(tmp) / f"{executor}-{i}")
                t0 = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):  # the closing summary of every run
                    _run_id, run_dir = run_pipeline(config)
                wall = time.perf_counter() - t0
                bundle = RunBundle.model_validate_json((run_dir / RUN_BUNDLE_FILE).read_text())
                metrics[executor] = {(m.model_name, m.horizon): m.da_test for m in bundle.metrics}
                timings = bundle.summary.timings
                runs.append(
                    {
                        "executor": executor,
                        "round": i + 1,
                        "wall_s": round(wall, 1),
                        "walk_forward_s": timings["walk_forward_s"],
                        "task_cpu_s": timings["task_cpu_s"],
                        "outputs_and_charts_s": timings["outputs_and_charts_s"],
                    }
                )
                print(json.dumps(runs[-1]), flush=True)
    diff = max(abs(metrics["local"][k] - metrics["dask"][k]) for k in metrics["local"])
    report = {"data": args.data, "tasks": len(metrics["local"]), "max_abs_da_test_diff": diff, "runs": runs}
    print(f"\n{'executor':8} {'round':>5} {'wall s':>7} {'walk-forward s':>15} {'task CPU s':>11}")
    for r in runs:
        print(f"{r['executor']:8} {r['round']:>5} {r['wall_s']:>7} {r['walk_forward_s']:>15} {r['task_cpu_s']:>11}")
    print(f"max |da_test(local) - da_test(dask)| over {report['tasks']} tasks: {diff}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "executors.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
