"""Does a directional forecast beat its baseline? Hit series, their uncertainty, and the tests.

Every statistic here works on 0/1 hit series over all test points. Overlapping h-day targets make the
hits MA(h-1)-correlated, so every standard error is Newey-West (HAC, Bartlett kernel) with h-1 lags:
the mean of a series is its OLS regression on a constant with a HAC covariance (statsmodels). No
statistic uses an every-h-th subsample, whose result would depend on an arbitrary offset.

Baseline: "always up" (see metrics.is_up for the direction convention). Its hit series is 1{y > 0}.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from pipelines.metrics import is_up

Z_95 = 1.959963984540054  # two-sided 95% normal quantile
# A Newey-West error with h-1 lags needs many more points than lags to mean anything: below this many
# points per lag a test answers p = 1 and an interval is all of [0, 100].
MIN_POINTS_PER_LAG = 10


def enough_points(n: int, h: int) -> bool:
    return n >= MIN_POINTS_PER_LAG * max(h, 1)


def hits(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """1.0 where the predicted direction is the realised one, else 0.0."""
    hit: np.ndarray = (is_up(y_true) == is_up(y_pred)).astype(float)
    return hit


def always_up_hits(y_true: np.ndarray) -> np.ndarray:
    return is_up(y_true).astype(float)


def hac_mean(x: np.ndarray, h: int) -> tuple[float, float]:
    """Mean of ``x`` and its Newey-West standard error with h-1 lags. The error is 0.0 for a constant
    series and NaN with fewer than two points."""
    x = np.asarray(x, float)
    if len(x) == 0:
        return float("nan"), float("nan")
    mean = float(x.mean())
    if len(x) < 2:
        return mean, float("nan")
    if np.all(x == x[0]):
        return mean, 0.0
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.OLS(x, np.ones(len(x))).fit(cov_type="HAC", cov_kwds={"maxlags": max(h - 1, 0)})
    return mean, float(fit.bse[0])


def da_interval(hit: np.ndarray, h: int) -> tuple[float, float]:
    """95% interval (%) for a hit rate under the MA(h-1) overlap, clipped to [0, 100]."""
    mean, se = hac_mean(hit, h)
    if not np.isfinite(se) or not enough_points(len(hit), h):
        return 0.0, 100.0
    return max(0.0, 100 * (mean - Z_95 * se)), min(100.0, 100 * (mean + Z_95 * se))


def naive_da_interval(hit: np.ndarray) -> tuple[float, float]:
    """The binomial (iid) 95% interval (%), which ignores the overlap; for comparison only."""
    p, n = float(np.mean(hit)), len(hit)
    half = Z_95 * np.sqrt(p * (1 - p) / n)
    return 100 * (p - half), 100 * (p + half)


def p_value_vs_baseline(hit_model: np.ndarray, hit_baseline: np.ndarray, h: int) -> float:
    """One-sided p-value of H1: the model's hit rate is above the baseline's (Diebold-Mariano on the
    directional loss 1 - hit, HAC with h-1 lags, normal reference).

    A model behind the baseline gets p > 0.5. A model whose hits equal the baseline's at every point
    (e.g. one that always says up) is a tie: p = 0.5. Too few points for the lags: p = 1.
    """
    from scipy.stats import norm

    d = np.asarray(hit_model, float) - np.asarray(hit_baseline, float)
    mean, se = hac_mean(d, h)
    if not enough_points(len(d), h) or not np.isfinite(se):
        return 1.0
    if se == 0.0:
        return 0.5 if mean == 0 else (0.0 if mean > 0 else 1.0)
    return float(norm.sf(mean / se))


def holm(p_values: list[float]) -> list[float]:
    """Holm step-down adjustment of a family of p-values (statsmodels)."""
    if not p_values:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(np.asarray(p_values, float), method="holm")[1]]


def spa_p_value(hit_baseline: np.ndarray, hit_models: np.ndarray, h: int, reps: int, seed: int) -> float:
    """Hansen's SPA test as arch implements it: is any model's expected directional loss below the
    baseline's?

    ``hit_models`` is (T, k). Losses are 1 - hit; stationary bootstrap with mean block length 2h, which
    covers the h-1 overlap. Returns the consistent p-value, which prices in the search over k models.
    A model that never beats the baseline at any point cannot have a lower expected loss and is left
    out: arch counts only bootstrap maxima strictly above the observed one, so a model identical to the
    baseline (a zero loss difference everywhere) would otherwise drive the p-value to 0. With no model
    left, or too few points for the lags, p = 1.
    """
    from arch.bootstrap import SPA

    bench = 1.0 - np.asarray(hit_baseline, float)
    losses = 1.0 - np.asarray(hit_models, float).reshape(len(bench), -1)
    losses = losses[:, np.any(losses < bench[:, None], axis=0)]
    if losses.shape[1] == 0 or not enough_points(len(bench), h):
        return 1.0
    spa = SPA(bench, losses, block_size=max(2 * h, 2), reps=reps, bootstrap="stationary", seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spa.compute()
    return float(spa.pvalues["consistent"])


@dataclass(frozen=True)
class Split:
    """Positions (into the pooled test points) of the selection block and of the final hold-out.

    The selection block ends h rows before the hold-out starts: a selection point's target must end
    by the hold-out's first row, so no daily return is shared between what is chosen on and what the
    choice is scored on (the same purge as the walk-forward's).
    """

    selection: np.ndarray
    holdout: np.ndarray


def selection_holdout(test_rows: np.ndarray, h: int, holdout_fraction: float) -> Split:
    n = len(test_rows)
    if n < 3:
        raise ValueError(f"too few test points for a hold-out at h={h}")
    n_hold = min(max(int(round(n * holdout_fraction)), 1), n - 1)
    first_holdout_row = test_rows[n - n_hold]
    selection = np.flatnonzero(test_rows <= first_holdout_row - h)
    if len(selection) < 2:
        raise ValueError(f"too few test points before the hold-out at h={h}")
    return Split(selection=selection, holdout=np.arange(n - n_hold, n))
