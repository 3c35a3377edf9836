"""Metrics, backtest, significance and confidence against hand computations."""

import math

import numpy as np
import pytest

from pipelines import backtest, metrics
from pipelines.forecast import confidence, prediction_date


def test_directional_accuracy_counts_zero_as_down():
    y = np.array([0.01, -0.02, 0.0, 0.03])
    p = np.array([0.5, 0.1, -0.1, 0.0])
    # up/up hit, down/up miss, zero(down)/down hit, up/zero(down) miss
    assert metrics.directional_accuracy(y, p) == 50.0


def test_regression_metrics_by_hand():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.5, 2.0, 2.5, 5.0])
    m = metrics.regression_metrics(y, p)
    assert m["rmse"] == pytest.approx(math.sqrt((0.25 + 0 + 0.25 + 1) / 4))
    assert m["mae"] == pytest.approx((0.5 + 0 + 0.5 + 1) / 4)
    assert m["r2"] == pytest.approx(1 - 1.5 / 5.0)
    # Variance ratio: by hand in tests/unit/test_metric_oracles.py.


def test_overlapping_positions_by_hand():
    sig = np.array([1.0, 1.0, -1.0, 1.0])
    pos = backtest.overlapping_positions(sig, 3)
    # days 0..5: averages of the live signals (1/3 each), ramp up and wind down
    np.testing.assert_allclose(pos, [1 / 3, 2 / 3, 1 / 3, 1 / 3, 0.0, 1 / 3])
    np.testing.assert_allclose(backtest.overlapping_positions(sig, 1), sig)


def test_strategy_sharpe_and_drawdown_by_hand():
    pred = np.array([0.2, -0.1])
    rets = np.array([0.10, -0.05, 0.02])  # h=2 -> 3 position days
    strat = backtest.strategy_returns(pred, rets, 2)
    # positions: [0.5, (1-1)/2=0, -0.5]
    np.testing.assert_allclose(strat, [0.05, 0.0, -0.01])
    # mean 0.04/3, sample sd sqrt(93)/300 (worked out in tests/unit/test_metric_oracles.py)
    assert backtest.sharpe_ratio(strat) == pytest.approx(4 * math.sqrt(252 / 93))
    eq = backtest.equity_curve(np.array([0.10, -0.20, 0.05, 0.30]))
    np.testing.assert_allclose(eq, [1.1, 0.88, 0.924, 1.2012])
    dd = backtest.drawdown_series(eq)
    np.testing.assert_allclose(dd, [0.0, -0.2, 0.924 / 1.1 - 1, 0.0])
    assert backtest.max_drawdown(eq) == pytest.approx(-0.2)
    assert backtest.max_drawdown(backtest.equity_curve(np.array([-0.1]))) == pytest.approx(-0.1)
    assert backtest.sharpe_ratio(np.zeros(5)) is None


def test_pt_is_undefined_for_constant_sign_and_uses_every_test_point():
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    res = metrics.pesaran_timmermann(y, np.ones(300), h=1)
    assert res["p_value"] is None and "never changes sign" in res["note"]
    # No every-h-th subsample, so no arbitrary offset: all 300 points count at h=5.
    res = metrics.pesaran_timmermann(y, y + rng.normal(scale=0.5, size=300), h=5)
    assert res["n_used"] == 300 and res["p_value"] < 0.01 and "4 lags" in res["note"]
    noise = metrics.pesaran_timmermann(y, rng.normal(size=300), h=1)
    assert noise["p_value"] > 0.01


def test_pt_regression_form_matches_the_classic_statistic_at_h1():
    from statsmodels.stats.diagnostic import pesaran_timmermann

    rng = np.random.default_rng(3)
    y = rng.normal(size=2000)
    pred = 0.3 * y + rng.normal(size=2000)
    ours = metrics.pesaran_timmermann(y, pred, h=1)
    classic = pesaran_timmermann(y > 0, pred > 0, alternative="larger")
    assert ours["statistic"] == pytest.approx(classic.statistic, rel=0.05)


def test_baselines():
    y = np.array([0.1, -0.1, 0.2, 0.3])
    past = np.array([0.1, 0.1, -0.1, 0.2])
    b = metrics.baselines(y, past)
    assert b == {"always_up_da": 75.0, "last_sign_da": 50.0}


def test_confidence_is_base_rate_without_skill_and_high_with_skill():
    rng = np.random.default_rng(1)
    y = rng.normal(0.001, 0.01, 4000)
    useless = rng.normal(0, 0.001, 4000)
    up_rate = float(np.mean(y > 0))
    assert confidence(0.002, useless, y) == pytest.approx(up_rate, abs=0.03)
    assert confidence(-0.002, useless, y) == pytest.approx(1 - up_rate, abs=0.03)
    skilled = y + rng.normal(0, 0.005, 4000)
    assert confidence(0.02, skilled, y) > 0.9
    assert 0.0 <= confidence(-0.02, skilled, y) <= 1.0


def test_prediction_date_skips_weekends():
    import pandas as pd

    assert prediction_date(pd.Timestamp("2018-12-28"), 1).isoformat() == "2018-12-31"  # Friday -> Monday
    assert prediction_date(pd.Timestamp("2018-12-31"), 5).isoformat() == "2019-01-07"
