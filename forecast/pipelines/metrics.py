"""Metrics and the directional significance test.

Direction convention (used everywhere: DA, baselines, PT test, live forecasts): "up" means > 0 and
everything else (including an exact zero) is "down". This is the convention of statsmodels'
Pesaran-Timmermann test, so DA and the p-value are computed on the same classification. A zero
realised return therefore counts as "down" (3 of 5,030 daily S&P 500 returns are exactly 0).
"""

from __future__ import annotations

import warnings

import numpy as np

UP_THRESHOLD = 0.0


def is_up(x: np.ndarray) -> np.ndarray:
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
        "rmse": float(np.sqrt(np.mean(err ** 2))),
        "mae": float(np.mean(np.abs(err))),
        # Out-of-sample R^2 against the test-period mean: negative means worse than that constant.
        "r2": float(1.0 - np.sum(err ** 2) / sst) if sst > 0 else float("nan"),
    }


def non_overlapping(n: int, h: int) -> np.ndarray:
    """Indices 0, h, 2h, ...: h-day targets that share no daily return."""
    return np.arange(0, n, max(h, 1))


def pesaran_timmermann(y_true: np.ndarray, y_pred: np.ndarray, h: int) -> dict:
    """One-sided PT test (H1: directions are positively related) on non-overlapping test points.

    Overlapping h-day targets are serially correlated (MA(h-1)), which would make the classic PT
    statistic over-confident; every h-th point removes the overlap at the cost of sample size.
    """
    idx = non_overlapping(len(y_true), h)
    a, p = np.asarray(y_true)[idx], np.asarray(y_pred)[idx]
    out = {"test": "pesaran_timmermann", "statistic": None, "p_value": None, "n_used": int(len(idx))}
    which = "all" if h <= 1 else f"every {h}th"
    base = f"one-sided PT on {len(idx)} non-overlapping points ({which} of {len(y_true)} test points)"
    pu, au = is_up(p), is_up(a)
    if len(idx) < 10:
        out["note"] = base + "; too few points for the test"
    elif pu.all() or (~pu).all():
        out["note"] = base + "; undefined: the forecast never changes sign (DA equals the share of that sign)"
    elif au.all() or (~au).all():
        out["note"] = base + "; undefined: the realised direction never changes"
    else:
        from statsmodels.stats.diagnostic import pesaran_timmermann as pt

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = pt(a, p, alternative="larger")
        stat, pval = float(res.statistic), float(res.pvalue)
        if np.isfinite(stat) and np.isfinite(pval):
            out["statistic"], out["p_value"] = stat, min(max(pval, 0.0), 1.0)
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
