"""What run_task reports, checked against numbers worked out here from the prices and the forecasts.

test_fitted_rows.py checks which rows each model is fitted on; this checks what run_task does with the
forecasts afterwards (the pooled training DA, the test metrics, the returns it trades on, the
early-stopping iterations, the seed and the live fit). The model is a stand-in that forecasts column 0
of X, so every expected number is computable without it. Written against the mutants that survived
`make mutants` (docs/mutation.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from pipelines import backtest, metrics, walkforward

N, H, N_FOLDS, TEST_FRACTION, SEED = 400, 3, 4, 0.3, 7


class EchoModel:
    """Forecasts column 0 of X. Its early-stopping iteration is the number of rows it was fitted on, so
    each fold's value is known."""

    def __init__(self, seed: int, early_stopping: bool = True):
        self.seed = seed
        self.early_stopping = early_stopping
        self.best_iteration: int | None = None
        self.fitted_rows: int | None = None
        self.purge: int | None = None

    def fit(self, X, y, purge=0):
        self.fitted_rows, self.purge = len(X), purge
        self.best_iteration = len(X)
        return self

    def predict(self, X):
        return np.asarray(X, float)[:, 0]

    def importance(self):
        return np.array([0.75, 0.25])


@pytest.fixture
def built(monkeypatch) -> list[EchoModel]:
    models: list[EchoModel] = []

    def make_model(name, seed=0, *, early_stopping=True):
        models.append(EchoModel(seed, early_stopping))
        return models[-1]

    monkeypatch.setattr(walkforward, "make_model", make_model)
    return models


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(11)
    price = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, N)))
    target = np.full(N, np.nan)
    target[: N - H] = np.log(price[H:] / price[: N - H])
    # A forecast that is right more often than not, and a column the stand-in ignores.
    signal = np.nan_to_num(target) + rng.normal(0, 0.02, N)
    return np.column_stack([signal, rng.normal(size=N)]), price, target


def _da(y, pred) -> float:
    return 100.0 * float(np.mean((y > 0) == (pred > 0)))


def _run(case):
    X, price, _ = case
    return walkforward.run_task("echo", H, X, price, seed=SEED, n_folds=N_FOLDS, test_fraction=TEST_FRACTION)


def test_run_task_uses_the_test_fraction_it_is_given(built, case):
    assert _run(case).folds == walkforward.make_folds(N, H, N_FOLDS, TEST_FRACTION)
    assert walkforward.make_folds(N, H, N_FOLDS, TEST_FRACTION) != walkforward.make_folds(N, H, N_FOLDS)


def test_test_points_are_the_folds_rows_with_their_realised_h_day_log_returns(built, case):
    X, _, target = case
    r = _run(case)
    rows = np.concatenate([np.arange(f.test_start, f.test_end) for f in r.folds])
    np.testing.assert_array_equal(r.test_rows, rows)
    np.testing.assert_allclose(r.y_test, target[rows])
    np.testing.assert_allclose(r.pred_test, X[rows, 0])


def test_training_da_is_pooled_over_folds_weighted_by_training_size(built, case):
    X, _, target = case
    r = _run(case)
    ends = [f.train_end for f in r.folds]
    pooled = sum(_da(target[:e], X[:e, 0]) * e for e in ends) / sum(ends)
    assert r.da_train == pytest.approx(pooled) and r.metrics["da_train"] == pytest.approx(pooled)
    da_test = _da(target[r.test_rows], X[r.test_rows, 0])
    assert r.metrics["da_test"] == pytest.approx(da_test)
    assert r.metrics["overfitting_gap"] == pytest.approx(pooled - da_test)


def test_strategy_and_buy_and_hold_trade_the_simple_daily_returns_of_the_test_span(built, case):
    _, price, _ = case
    r = _run(case)
    days = np.arange(r.test_rows[0], r.test_rows[-1] + H)
    daily = price[days + 1] / price[days] - 1.0  # the return from day d's close to day d+1's
    np.testing.assert_allclose(r.strategy_returns, backtest.strategy_returns(r.pred_test, daily, H))
    assert r.metrics["buy_hold_sharpe"] == pytest.approx(backtest.sharpe_ratio(daily))
    assert r.metrics["sharpe"] == pytest.approx(backtest.sharpe_ratio(r.strategy_returns))


def test_the_metrics_are_those_of_the_test_forecasts_and_of_the_strategy_they_trade(built, case):
    _, price, target = case
    r = _run(case)
    y, pred = target[r.test_rows], r.pred_test
    positions = backtest.overlapping_positions(backtest.signals(pred), H)
    np.testing.assert_array_equal(r.positions, positions)
    cost = backtest.DEFAULT_COST_BPS / 10_000
    expected = {
        "variance_ratio": metrics.variance_ratio(y, pred),
        **metrics.regression_metrics(y, pred),
        "sharpe_after_costs": backtest.sharpe_ratio(backtest.after_costs(r.strategy_returns, positions, cost)),
        "max_drawdown": backtest.max_drawdown(backtest.equity_curve(r.strategy_returns)),
    }
    assert set(r.metrics) == {*expected, "da_train", "da_test", "sharpe", "buy_hold_sharpe", "overfitting_gap"}
    assert {k: r.metrics[k] for k in expected} == pytest.approx(expected)
    assert r.significance == metrics.pesaran_timmermann(y, pred, H)
    assert (r.model_name, r.horizon) == ("echo", H)


def test_seconds_is_the_time_from_start_to_end_of_the_task(built, case, monkeypatch):
    # An injected clock: the task starts at 1000.0 and every later reading is 1002.5.
    readings = iter([1000.0])
    monkeypatch.setattr(walkforward.time, "perf_counter", lambda: next(readings, 1002.5))
    assert _run(case).seconds == pytest.approx(2.5)


def test_each_folds_early_stopping_iteration_is_reported_in_fold_order(built, case):
    r = _run(case)
    assert r.best_iterations == [f.train_end for f in r.folds]


def test_a_task_without_early_stopping_builds_every_model_without_it(built, case):
    X, price, _ = case
    walkforward.run_task("echo", H, X, price, n_folds=N_FOLDS, test_fraction=TEST_FRACTION, early_stopping=False)
    assert [m.early_stopping for m in built] == [False] * (N_FOLDS + 1)
    _run(case)
    assert [m.early_stopping for m in built[N_FOLDS + 1 :]] == [True] * (N_FOLDS + 1)


def test_every_model_gets_the_seed_and_the_live_model_is_fitted_on_every_realised_target(built, case):
    X, _, _ = case
    r = _run(case)
    assert [m.seed for m in built] == [SEED] * (N_FOLDS + 1)
    live = built[-1]
    assert live.fitted_rows == N - H
    # Every fit, the live one included, purges the h rows before its end from early stopping.
    assert [m.purge for m in built] == [H] * (N_FOLDS + 1)
    assert r.live_prediction == pytest.approx(X[-1, 0])
    np.testing.assert_array_equal(r.importance, [0.75, 0.25])
