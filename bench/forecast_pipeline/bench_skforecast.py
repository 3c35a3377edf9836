"""The same backtest in skforecast: ridge + lightgbm, 7 horizons, the same 10 expanding folds with a purge
gap of h rows, the same features (exported by bench_ours.py) and hyperparameters.

skforecast cannot fit on exogenous features alone (a forecaster needs lags or window features), so its
models carry one extra predictor: the target lagged by steps + h rows. That lag is always an observed,
already-realised target inside the training window (never one of the forecaster's own predictions and
never test data), so the extra column changes nothing material and the DAs match ours closely.
It has no time-ordered early-stopping tail, so lightgbm uses a fixed 300 trees (compare with our
"fixed300" timing). Our timing also includes work skforecast does not do (in-sample DA predictions and
the live refit per model x horizon), so the ratio is conservative.

Usage: /tmp/skf-venv/bin/python bench/forecast_pipeline/bench_skforecast.py OUT_DIR
"""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from common import HORIZONS, LGBM, N_FOLDS, RIDGE_ALPHA, TEST_FRACTION
from lightgbm import LGBMRegressor
from skforecast.model_selection import TimeSeriesFold, backtesting_forecaster
from skforecast.recursive import ForecasterRecursive
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")


def backtest(model: str, h: int, X: np.ndarray, price: np.ndarray, n_jobs: int) -> float:
    n = len(price)
    logp = np.log(price)
    first_test = int(round(n * (1 - TEST_FRACTION)))
    last = n - h
    # Same folds as pipelines.walkforward.make_folds (equal blocks, so steps = block length).
    steps = int(np.ceil((last - first_test) / N_FOLDS))
    idx = pd.RangeIndex(last)
    y = pd.Series(logp[h:] - logp[:-h], index=idx, name="y")
    exog = pd.DataFrame(X[:last], index=idx, columns=[f"f{i}" for i in range(X.shape[1])])
    est = make_pipeline(StandardScaler(), Ridge(RIDGE_ALPHA)) if model == "ridge" else LGBMRegressor(**LGBM)
    forecaster = ForecasterRecursive(estimator=est, lags=[steps + h])
    cv = TimeSeriesFold(
        steps=steps,
        initial_train_size=first_test - h,
        gap=h,
        refit=True,
        fixed_train_size=False,
        allow_incomplete_fold=True,
        verbose=False,
    )
    _, pred = backtesting_forecaster(
        forecaster, y, cv, metric="mean_squared_error", exog=exog, n_jobs=n_jobs, show_progress=False
    )
    p = pred["pred"].to_numpy()
    yt = y.loc[pred.index].to_numpy()
    return float(np.mean((yt > 0) == (p > 0)) * 100)


def main(out: Path) -> None:
    d = np.load(out / "features.npz", allow_pickle=True)
    X, price = d["X"], d["price"]
    report = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        da = {f"{m}_h{h}": backtest(m, h, X, price, jobs) for m in ("lightgbm", "ridge") for h in HORIZONS}
        secs = time.perf_counter() - t0
        report[f"skforecast_jobs{jobs}_s"] = round(secs, 2)
        report[f"da_jobs{jobs}"] = da
        print(f"skforecast n_jobs={jobs}: {secs:.1f}s", flush=True)
    (out / "skforecast.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
