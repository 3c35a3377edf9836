"""Served metrics against references that share no code with pipelines/: scikit-learn, the standard
library, and series small enough to work out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score, root_mean_squared_error

from pipelines import backtest, metrics
from pipelines.features import build_target


@pytest.fixture
def known_data() -> tuple[np.ndarray, np.ndarray]:
    """Returns and noisy forecasts with some exact zeros, which count as "down" (metrics.is_up)."""
    rng = np.random.default_rng(42)
    y = rng.normal(0.0003, 0.01, 500)
    pred = 0.4 * y + rng.normal(0.0, 0.01, 500)
    y[::50], pred[7::60] = 0.0, 0.0
    return y, pred


def test_directional_accuracy_is_sklearns_accuracy_of_the_up_labels(known_data):
    y, pred = known_data
    assert metrics.directional_accuracy(y, pred) == pytest.approx(100 * accuracy_score(y > 0, pred > 0))


def test_rmse_mae_and_r2_match_sklearn(known_data):
    y, pred = known_data
    m = metrics.regression_metrics(y, pred)
    assert m["rmse"] == pytest.approx(root_mean_squared_error(y, pred), rel=1e-12)
    assert m["mae"] == pytest.approx(mean_absolute_error(y, pred), rel=1e-12)
    # Out-of-sample R^2 against the test-period mean is sklearn's r2_score (negative when worse).
    assert m["r2"] == pytest.approx(r2_score(y, pred), rel=1e-12)
    assert metrics.regression_metrics(y, np.zeros_like(y) + 0.05)["r2"] == pytest.approx(
        r2_score(y, np.zeros_like(y) + 0.05), rel=1e-12
    )


def test_variance_ratio_by_hand_and_against_the_standard_library(known_data):
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.5, 2.0, 2.5, 5.0])
    # Population variances: y has mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5 -> 5/4 = 1.25;
    # p has mean 2.75, squared deviations 1.5625 + 0.5625 + 0.0625 + 5.0625 = 7.25 -> 7.25/4 = 1.8125.
    # Ratio of standard deviations: sqrt(1.8125 / 1.25) = sqrt(1.45).
    assert metrics.variance_ratio(y, p) == pytest.approx(math.sqrt(1.45))
    y, pred = known_data
    assert metrics.variance_ratio(y, pred) == pytest.approx(statistics.pstdev(pred) / statistics.pstdev(y))
    assert math.isnan(metrics.variance_ratio(np.ones(5), pred[:5]))


def test_sharpe_ratio_by_hand():
    # Returns 2%, 0, 2%, 0: mean 0.01; deviations +-0.01, squared sum 4e-4; sample variance (n - 1 = 3)
    # 4e-4 / 3, so sd = 0.01 * sqrt(4/3). Daily Sharpe 0.01 / (0.01 * sqrt(4/3)) = sqrt(3/4); annualised
    # by sqrt(252): sqrt(0.75 * 252) = sqrt(189) ~ 13.748. (A population sd would give sqrt(252) ~ 15.87.)
    assert backtest.sharpe_ratio(np.array([0.02, 0.0, 0.02, 0.0])) == pytest.approx(math.sqrt(189))
    # Returns 5%, 0, -1%: mean 0.04/3; deviations 11/300, -4/300, -7/300, squares (121 + 16 + 49)/300^2
    # = 186/300^2; sample variance 93/300^2, sd sqrt(93)/300. Sharpe (4/300) / (sqrt(93)/300) * sqrt(252)
    # = 4 * sqrt(252/93) ~ 6.585.
    assert backtest.sharpe_ratio(np.array([0.05, 0.0, -0.01])) == pytest.approx(4 * math.sqrt(252 / 93))
    assert backtest.sharpe_ratio(np.full(5, 0.01)) is None  # no variability: undefined, not infinite
    assert backtest.sharpe_ratio(np.array([0.01])) is None


def test_max_drawdown_by_hand():
    # Equity from 1: x1.5 = 1.5, x0.8 = 1.2, x1.25 = 1.5, x0.6 = 0.9, x0.5 = 0.45, x2 = 0.9. The first dip
    # is 1.2/1.5 - 1 = -20%; the deepest runs from the 1.5 peak to 0.45: 0.45/1.5 - 1 = -70%.
    eq = backtest.equity_curve(np.array([0.5, -0.2, 0.25, -0.4, -0.5, 1.0]))
    np.testing.assert_allclose(eq, [1.5, 1.2, 1.5, 0.9, 0.45, 0.9])
    np.testing.assert_allclose(backtest.drawdown_series(eq), [0.0, -0.2, 0.0, -0.4, -0.7, -0.4])
    assert backtest.max_drawdown(eq) == pytest.approx(-0.7)
    # The starting capital is the first peak: -50% then +50% is 0.5 then 0.75, a drawdown of -50%.
    assert backtest.max_drawdown(backtest.equity_curve(np.array([-0.5, 0.5]))) == pytest.approx(-0.5)
    assert backtest.max_drawdown(backtest.equity_curve(np.array([0.1, 0.2]))) == 0.0


def test_forward_log_return_target_by_hand():
    prices = pd.DataFrame({"price": [100.0, 200.0, 50.0, 100.0, 100.0]}, index=pd.bdate_range("2020-01-06", periods=5))
    ln2 = math.log(2.0)
    # h = 1: 100 -> 200 is ln 2; 200 -> 50 is ln(1/4) = -2 ln 2; 50 -> 100 is ln 2; 100 -> 100 is 0.
    np.testing.assert_allclose(build_target(prices, 1).to_numpy()[:4], [ln2, -2 * ln2, ln2, 0.0])
    # h = 2: 100 -> 50 is -ln 2; 200 -> 100 is -ln 2; 50 -> 100 is ln 2; the last two are not realised.
    y2 = build_target(prices, 2).to_numpy()
    np.testing.assert_allclose(y2[:3], [-ln2, -ln2, ln2])
    assert np.isnan(y2[3:]).all()
