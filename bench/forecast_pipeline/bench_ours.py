"""Time the pipeline's walk-forward for ridge + lightgbm over 7 horizons x 10 folds, and export the exact
feature matrix for bench_skforecast.py (which runs in its own venv).

Usage: .venv/bin/python bench/forecast_pipeline/bench_ours.py OUT_DIR
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from common import HORIZONS, N_FOLDS
from joblib import Parallel, delayed

from pipelines import walkforward
from pipelines.data import load_series
from pipelines.features import model_frame


def _run(X, price, jobs, early_stopping):
    tasks = [(m, h) for m in ("lightgbm", "ridge") for h in HORIZONS]
    t0 = time.perf_counter()
    # Without early stopping, boosting fits a fixed 300 trees: like-for-like with skforecast, which has no
    # time-ordered early-stopping tail.
    res = Parallel(n_jobs=jobs)(
        delayed(walkforward.run_task)(m, h, X, price, seed=0, n_folds=N_FOLDS, early_stopping=early_stopping)
        for m, h in tasks
    )
    return time.perf_counter() - t0, {f"{r.model_name}_h{r.horizon}": r.metrics["da_test"] for r in res}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    feats, aligned = model_frame(load_series("sp500").frame)
    X, price = feats.to_numpy(float), aligned["price"].to_numpy(float)
    np.savez(out / "features.npz", X=X, price=price, columns=np.array(feats.columns))
    report = {"rows": len(price), "features": X.shape[1]}
    for jobs in (1, 2):
        for es in (False, True):
            secs, da = _run(X, price, jobs, es)
            report[f"ours_jobs{jobs}_{'es' if es else 'fixed300'}_s"] = round(secs, 2)
            report[f"da_jobs{jobs}_{'es' if es else 'fixed300'}"] = da
            print(f"ours jobs={jobs} early_stopping={es}: {secs:.1f}s", flush=True)
    (out / "ours.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
