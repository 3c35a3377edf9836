"""The degenerate cases of pipelines/metrics.py, whose values and notes are published as they are.

Written against the mutants that survived `make mutants` (docs/mutation.md): the oracles cover the
regular case, these cover the branches a real series rarely reaches (no points, one point, a constant
series, a regression that cannot be fitted) and the exact wording the results page shows for them.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import statsmodels.api as sm

from pipelines import metrics

PT_KEYS = {"test", "statistic", "p_value", "n_used", "note"}


def _pt_note(n: int, lags: int, reason: str = "") -> str:
    return f"one-sided PT regression test on all {n} test points, Newey-West standard error with {lags} lags" + reason


def test_directional_accuracy_of_no_points_is_nan_and_of_one_point_is_that_points_hit():
    assert math.isnan(metrics.directional_accuracy(np.array([]), np.array([])))
    # One point is a sample too: a hit is 100 %, a miss 0 %, not "undefined".
    assert metrics.directional_accuracy(np.array([0.1]), np.array([0.2])) == 100.0
    assert metrics.directional_accuracy(np.array([0.1]), np.array([-0.2])) == 0.0


def test_r2_is_undefined_not_infinite_when_the_realised_series_is_constant():
    m = metrics.regression_metrics(np.full(5, 0.01), np.array([0.0, 0.01, 0.02, 0.01, 0.0]))
    # No variance to explain: R^2 = 1 - SSE/0 has no value; RMSE and MAE are still defined.
    assert math.isnan(m["r2"])
    assert m["mae"] == pytest.approx(0.006)
    assert m["rmse"] == pytest.approx(math.sqrt(0.0003 / 5))


def test_pt_needs_ten_points_and_says_so_below_that():
    y = np.tile([0.01, -0.01], 5)
    short = metrics.pesaran_timmermann(y[:9], y[:9], h=1)
    assert short == {
        "test": "pesaran_timmermann_hac",
        "statistic": None,
        "p_value": None,
        "n_used": 9,
        "note": _pt_note(9, 0, "; too few points for the test"),
    }
    # Ten points are enough: the boundary itself is tested.
    ten = metrics.pesaran_timmermann(y, y + np.linspace(-0.001, 0.001, 10), h=1)
    assert set(ten) == PT_KEYS and ten["statistic"] is not None and ten["note"] == _pt_note(10, 0)


def test_pt_note_names_the_undefined_case_a_constant_series_falls_in():
    y = np.tile([0.01, -0.02, 0.03], 10)
    flat_forecast = metrics.pesaran_timmermann(y, np.full(30, 0.5), h=3)
    assert flat_forecast["statistic"] is None and flat_forecast["note"] == _pt_note(
        30, 2, "; undefined: the forecast never changes sign (DA equals the share of that sign)"
    )
    flat_market = metrics.pesaran_timmermann(np.full(30, -0.01), y, h=3)
    assert flat_market["statistic"] is None and flat_market["note"] == _pt_note(
        30, 2, "; undefined: the realised direction never changes"
    )


def test_pt_with_a_zero_standard_error_reports_no_statistic_instead_of_failing(monkeypatch):
    # A float regression never gives an exact zero standard error, so a fit that does is simulated.
    fit = SimpleNamespace(params=np.array([0.0, 1.0]), bse=np.array([0.0, 0.0]))
    monkeypatch.setattr(sm, "OLS", lambda *a, **k: SimpleNamespace(fit=lambda **kw: fit))
    y = np.tile([0.01, -0.01], 10)
    res = metrics.pesaran_timmermann(y, y, h=1)
    assert res["statistic"] is None and res["p_value"] is None
    assert res["note"] == _pt_note(20, 0, "; undefined: degenerate variance")
