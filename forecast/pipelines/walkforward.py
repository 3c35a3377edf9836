"""Walk-forward evaluation of one model at one horizon (the unit of parallel work).

Expanding window with periodic refits: the last ``test_fraction`` of the rows is cut into ``n_folds``
contiguous test blocks; each block is predicted by a model fit on every row whose target ends before the
block starts. The target of row i ends at row i+h, so training rows are i < a - h for a block starting at
row a: the last h rows before the block are purged (López de Prado, AFML ch. 7).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipelines import backtest, metrics
from pipelines.models import make_model

N_FOLDS = 10
TEST_FRACTION = 0.4


@dataclass(frozen=True)
class Fold:
    train_end: int  # training rows are [0, train_end)
    test_start: int
    test_end: int  # exclusive


def make_folds(n_rows: int, h: int, n_folds: int = N_FOLDS, test_fraction: float = TEST_FRACTION) -> list[Fold]:
    """Folds over rows that have an h-day target ([0, n_rows - h)); the test region starts at the same row
    for every horizon so horizons are compared over (almost) the same period."""
    first_test = int(round(n_rows * (1.0 - test_fraction)))
    last = n_rows - h  # rows >= last have no realised target yet
    if last - first_test < n_folds or first_test - h < 50:
        raise ValueError(f"series too short for {n_folds} folds at h={h} ({n_rows} rows)")
    edges = np.linspace(first_test, last, n_folds + 1).round().astype(int)
    return [Fold(int(a) - h, int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


@dataclass
class TaskResult:
    model_name: str
    horizon: int
    test_rows: np.ndarray  # row indices of the out-of-sample points
    y_test: np.ndarray
    pred_test: np.ndarray
    da_train: float
    metrics: dict[str, Any]
    significance: dict[str, Any]
    strategy_returns: np.ndarray  # daily, for days test_rows[0] .. test_rows[-1] + h - 1
    positions: np.ndarray
    live_prediction: float
    importance: np.ndarray
    seconds: float
    folds: list[Fold] = field(default_factory=list)
    best_iterations: list[int] = field(default_factory=list)
    asset: str = ""  # the WalkForwardTask's asset (executors.py sets it)


def run_task(
    model_name: str,
    h: int,
    X: np.ndarray,
    price: np.ndarray,
    seed: int = 0,
    n_folds: int = N_FOLDS,
    test_fraction: float = TEST_FRACTION,
    cost_per_turnover: float = backtest.DEFAULT_COST_BPS / 10_000,
    early_stopping: bool = True,
) -> TaskResult:
    """Walk ``model_name`` forward at horizon ``h`` and refit it on every realised target for the live
    forecast. ``early_stopping=False`` grows boosting's full number of trees in every fit."""
    # Keep BLAS single-threaded inside worker processes (joblib's loky also sets this); two workers on two
    # cores each spawning BLAS threads would oversubscribe.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    t0 = time.perf_counter()
    logp = np.log(price)
    n = len(price)
    y = np.full(n, np.nan)
    y[: n - h] = logp[h:] - logp[: n - h]

    folds = make_folds(n, h, n_folds, test_fraction)
    preds, rows, hits_train, n_train, best_its = [], [], 0.0, 0, []
    for f in folds:
        model = make_model(model_name, seed, early_stopping=early_stopping).fit(
            X[: f.train_end], y[: f.train_end], purge=h
        )
        test = np.arange(f.test_start, f.test_end)
        preds.append(model.predict(X[test]))
        rows.append(test)
        in_sample = model.predict(X[: f.train_end])
        hits_train += metrics.directional_accuracy(y[: f.train_end], in_sample) * f.train_end
        n_train += f.train_end
        if model.best_iteration is not None:
            best_its.append(model.best_iteration)
    test_rows = np.concatenate(rows)
    pred = np.concatenate(preds)
    y_test = y[test_rows]

    da_test = metrics.directional_accuracy(y_test, pred)
    da_train = hits_train / n_train  # pooled over folds, weighted by training size
    simple = np.exp(np.diff(logp)) - 1.0  # simple[d] = return over day d -> d+1
    days = np.arange(test_rows[0], test_rows[-1] + h)
    strat = backtest.strategy_returns(pred, simple[days], h)
    positions = backtest.overlapping_positions(backtest.signals(pred), h)
    equity = backtest.equity_curve(strat)
    m = {
        "da_train": da_train,
        "da_test": da_test,
        "variance_ratio": metrics.variance_ratio(y_test, pred),
        **metrics.regression_metrics(y_test, pred),
        "sharpe": backtest.sharpe_ratio(strat),
        "sharpe_after_costs": backtest.sharpe_ratio(backtest.after_costs(strat, positions, cost_per_turnover)),
        "buy_hold_sharpe": backtest.sharpe_ratio(simple[days]),
        "max_drawdown": backtest.max_drawdown(equity),
        "overfitting_gap": da_train - da_test,
    }

    # Live model: every row with a realised target, i.e. the last h rows are not trainable yet.
    live = make_model(model_name, seed, early_stopping=early_stopping).fit(X[: n - h], y[: n - h], purge=h)
    live_pred = float(live.predict(X[-1:])[0])
    return TaskResult(
        model_name=model_name,
        horizon=h,
        test_rows=test_rows,
        y_test=y_test,
        pred_test=pred,
        da_train=da_train,
        metrics=m,
        significance=metrics.pesaran_timmermann(y_test, pred, h),
        strategy_returns=strat,
        positions=positions,
        live_prediction=live_pred,
        importance=live.importance(),
        seconds=time.perf_counter() - t0,
        folds=folds,
        best_iterations=best_its,
    )
