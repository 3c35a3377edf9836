"""Metrics and the directional significance test.

Direction convention (used everywhere: DA, baselines, PT test, live forecasts): "up" means > 0 and
everything else (including an exact zero) is "down". This is the convention of statsmodels'
Pesaran-Timmermann test, so DA and the p-value are computed on the same classification. A zero
realised return therefore counts as "down" (3 of 5,030 daily S&P 500 returns are exactly 0).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

UP_THRESHOLD = 0.0


def is_up(x: np.ndarray | float) -> np.ndarray:
    return np.asarray(x) > UP_THRESHOLD


def directional_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Percent of points where the predicted direction equals the realised one."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) == 0:
        return float("nan")
    return float(np.mean(is_up(y_true) == is_up(y_pred)) * 100.0)


def variance_ratio(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    sd = float(np.std(y_true))
    return float(np.std(y_pred) / sd) if sd > 0 else float("nan")


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    err = y_true - y_pred
    sst = float(np.sum((y_true - y_true.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        # Out-of-sample R^2 against the test-period mean: negative means worse than that constant.
        "r2": float(1.0 - np.sum(err**2) / sst) if sst > 0 else float("nan"),
    }


def pesaran_timmermann(y_true: np.ndarray, y_pred: np.ndarray, h: int) -> dict[str, Any]:
    """One-sided test that predicted and realised directions are positively related, on all test points.

    Regression form of Pesaran-Timmermann (2009): the slope of 1{y > 0} on 1{pred > 0}, whose t-statistic
    is the PT statistic at h = 1. Overlapping h-day targets are MA(h-1)-correlated, so the slope's standard
    error is Newey-West with h-1 lags instead of the iid one (which would be over-confident). Using every
    point, not an every-h-th subsample, keeps the result free of an arbitrary offset.
    """
    a, p = is_up(y_true).astype(float), is_up(y_pred).astype(float)
    n = len(a)
    out: dict[str, Any] = {"test": "pesaran_timmermann_hac", "statistic": None, "p_value": None, "n_used": int(n)}
    base = f"one-sided PT regression test on all {n} test points, Newey-West standard error with {max(h - 1, 0)} lags"
    if n < 10:
        out["note"] = base + "; too few points for the test"
    elif p.min() == p.max():
        out["note"] = base + "; undefined: the forecast never changes sign (DA equals the share of that sign)"
    elif a.min() == a.max():
        out["note"] = base + "; undefined: the realised direction never changes"
    else:
        import statsmodels.api as sm
        from scipy.stats import norm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.OLS(a, np.column_stack([np.ones(n), p])).fit(cov_type="HAC", cov_kwds={"maxlags": max(h - 1, 0)})
        stat = float(fit.params[1] / fit.bse[1]) if fit.bse[1] > 0 else float("nan")
        if np.isfinite(stat):
            out["statistic"], out["p_value"] = stat, float(norm.sf(stat))
            out["note"] = base
        else:
            out["note"] = base + "; undefined: degenerate variance"
    return out


def baselines(y_true: np.ndarray, past_h_return: np.ndarray) -> dict[str, float]:
    """Naive DAs over the same test points the models are scored on."""
    return {
        "always_up_da": directional_accuracy(y_true, np.ones_like(y_true)),
        "last_sign_da": directional_accuracy(y_true, past_h_return),
    }
