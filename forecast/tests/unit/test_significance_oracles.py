"""The verdict's statistics against references computed here, not through pipelines/.

Newey-West standard errors come from statsmodels.stats.sandwich_covariance.cov_hac (Bartlett kernel,
h-1 lags, no small-sample correction: what OLS(cov_type="HAC") uses), one-sided p-values from the normal
upper tail of the t statistic, the classic Pesaran-Timmermann test from statsmodels with
alternative="larger", Holm from multipletests and by hand, SPA from arch with the same seed.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from arch.bootstrap import SPA
from scipy.stats import norm
from statsmodels.stats.diagnostic import pesaran_timmermann as classic_pt
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.sandwich_covariance import cov_hac

from pipelines import metrics, skill


def overlapping(n: int, h: int, seed: int, signal: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """h-day sums of iid daily returns (MA(h-1)-correlated) and a weakly informative forecast."""
    rng = np.random.default_rng(seed)
    daily = rng.normal(0.0003, 0.01, n + h)
    y = np.convolve(daily, np.ones(h), mode="valid")[:n]
    return y, signal * y + rng.normal(0.0, 0.01 * np.sqrt(h), n)


def hac_fit(target: np.ndarray, regressors: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of an OLS fit and their Newey-West standard errors."""
    ols = sm.OLS(target, regressors).fit()
    return ols.params, np.sqrt(np.diag(cov_hac(ols, nlags=lags, use_correction=False)))


def hac_t(target: np.ndarray, regressors: np.ndarray, lags: int) -> np.ndarray:
    params, se = hac_fit(target, regressors, lags)
    return params / se


def table(up_up: int, up_down: int, down_up: int, down_down: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns and forecasts with the given (forecast, realised) direction counts, in a fixed shuffle."""
    pred_up = np.r_[np.ones(up_up + up_down), np.zeros(down_up + down_down)]
    real_up = np.r_[np.ones(up_up), np.zeros(up_down), np.ones(down_up), np.zeros(down_down)]
    order = np.random.default_rng(0).permutation(len(pred_up))
    return np.where(real_up[order] > 0, 0.01, -0.01), np.where(pred_up[order] > 0, 0.002, -0.002)


@pytest.mark.parametrize("h", [1, 5, 20])
def test_pt_is_the_one_sided_newey_west_t_test_of_the_direction_regression(h):
    y, pred = overlapping(1000, h, seed=h)
    t = hac_t((y > 0).astype(float), sm.add_constant((pred > 0).astype(float)), h - 1)[1]
    result = metrics.pesaran_timmermann(y, pred, h)
    assert result["statistic"] == pytest.approx(t, rel=1e-9)
    assert result["p_value"] == pytest.approx(norm.sf(t), rel=1e-9)


def test_pt_p_value_is_one_sided_where_a_two_sided_one_would_double_it():
    # Forecast up 200 times (112 right), down 200 times (105 right): a modest positive relation whose
    # one-sided p (~0.044) is below 5% and whose two-sided p (~0.089) is not.
    y, pred = table(112, 88, 95, 105)
    larger = classic_pt(y > 0, pred > 0, alternative="larger").pvalue
    two_sided = classic_pt(y > 0, pred > 0, alternative="two-sided").pvalue
    assert two_sided == pytest.approx(2 * larger, rel=1e-6)
    ours = metrics.pesaran_timmermann(y, pred, h=1)["p_value"]
    # The regression form and the classic statistic agree to a few percent at h = 1; a factor 2 is out.
    assert ours == pytest.approx(larger, rel=0.05)
    assert ours < 0.05 < two_sided


def test_pt_gives_a_forecast_that_points_the_wrong_way_a_large_p():
    # The same table with the forecast's labels swapped: a negative relation. One-sided against it,
    # p ~ 0.956; a two-sided test would call the same data "significant at 9%".
    y, pred = table(95, 105, 112, 88)
    ours = metrics.pesaran_timmermann(y, pred, h=1)
    assert ours["statistic"] < 0
    assert ours["p_value"] == pytest.approx(classic_pt(y > 0, pred > 0, alternative="larger").pvalue, rel=0.01)


@pytest.mark.parametrize("h", [1, 5, 20])
def test_one_sided_diebold_mariano_matches_a_newey_west_t_test_of_the_hit_difference(h):
    y, pred = overlapping(1000, h, seed=h)
    model, base = skill.hits(y, pred), skill.always_up_hits(y)
    t = hac_t(model - base, np.ones((len(y), 1)), h - 1)[0]
    assert skill.p_value_vs_baseline(model, base, h) == pytest.approx(norm.sf(t), rel=1e-9)


def test_diebold_mariano_is_one_sided_in_both_directions():
    y, pred = overlapping(1000, 20, seed=20)  # a lead over always-up with one-sided p ~ 0.03
    model, base = skill.hits(y, pred), skill.always_up_hits(y)
    t = hac_t(model - base, np.ones((len(y), 1)), 19)[0]
    two_sided = 2 * norm.sf(abs(t))
    assert skill.p_value_vs_baseline(model, base, 20) == pytest.approx(two_sided / 2, rel=1e-9)
    # Swapping the roles turns the lead into a deficit: the p-value is the other tail, above one half.
    assert skill.p_value_vs_baseline(base, model, 20) == pytest.approx(1 - two_sided / 2, rel=1e-9)


def test_newey_west_standard_error_by_hand():
    # x = 1, 0, 1, 0, ... (20 points), lags = h - 1 = 1. Mean 0.5, residuals +-0.5 alternating.
    # gamma_0 = 20 * 0.25 / 20 = 0.25; gamma_1 = 19 * (-0.25) / 20 = -0.2375; Bartlett weight 1 - 1/2.
    # Long-run variance 0.25 + 2 * 0.5 * (-0.2375) = 0.0125; variance of the mean 0.0125 / 20 = 0.000625,
    # se 0.025 (the iid se would be sqrt(0.25 / 20) ~ 0.112). 95% interval: 50 +- 100 * 1.96 * 0.025.
    x = np.array([1.0, 0.0] * 10)
    mean, se = skill.hac_mean(x, h=2)
    assert (mean, se) == pytest.approx((0.5, 0.025))
    half = 100 * 1.959963984540054 * 0.025
    assert skill.da_interval(x, h=2) == pytest.approx((50 - half, 50 + half))


@pytest.mark.parametrize("h", [1, 10, 30])
def test_da_interval_matches_statsmodels_newey_west(h):
    y, pred = overlapping(2000, h, seed=100 + h)
    hit = skill.hits(y, pred)
    (mean,), (se,) = hac_fit(hit, np.ones((len(hit), 1)), h - 1)
    z = norm.ppf(0.975)
    expected = (100 * (mean - z * se), 100 * (mean + z * se))
    assert skill.da_interval(hit, h) == pytest.approx(expected, rel=1e-9)


def test_holm_by_hand_and_against_statsmodels():
    # Sorted 0.01, 0.02, 0.03 are multiplied by 3, 2, 1: 0.03, 0.04, 0.03; step-down keeps them
    # non-decreasing, so the last becomes 0.04. Products above 1 are capped at 1.
    assert skill.holm([0.02, 0.01, 0.03]) == pytest.approx([0.04, 0.03, 0.04])
    assert skill.holm([0.6, 0.2]) == pytest.approx([0.6, 0.4])
    assert skill.holm([0.7, 0.9]) == pytest.approx([1.0, 1.0])
    p = np.random.default_rng(9).uniform(0, 0.2, 15)
    assert skill.holm(list(p)) == pytest.approx(list(multipletests(p, method="holm")[1]))


def spa_case(seed: int = 3, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Always-up hits and four models, each ahead of it somewhere, none by much."""
    rng = np.random.default_rng(seed)
    base = (rng.random(n) < 0.55).astype(float)
    return base, np.column_stack([(rng.random(n) < q).astype(float) for q in (0.45, 0.5, 0.57, 0.40)])


@pytest.mark.parametrize("h", [1, 5])
def test_spa_p_value_is_archs_consistent_p_value_with_a_2h_stationary_bootstrap(h):
    base, models = spa_case()
    spa = SPA(1 - base, 1 - models, block_size=2 * h, reps=500, bootstrap="stationary", seed=3)
    spa.compute()
    p = spa.pvalues
    # The data make the three p-values differ, so picking the wrong one would show.
    assert p["lower"] < p["consistent"] < p["upper"]
    assert skill.spa_p_value(base, models, h, reps=500, seed=3) == pytest.approx(p["consistent"])


def test_verdict_adjusts_each_horizons_spa_p_value_with_holm_across_horizons():
    from pipelines.verdict import HorizonData, horizon_skills

    horizons, raw = [], []
    for h in (1, 5):
        y, pred = overlapping(800, h, seed=30 + h, signal=0.4)
        rng = np.random.default_rng(h)
        preds = {"weak": pred, "noise": rng.normal(0, 0.01, len(y)), "other": -pred}
        rows = np.arange(1000, 1000 + len(y))
        horizons.append(HorizonData(h, rows, y, preds, skill.selection_holdout(rows, h, 0.2)))
        losses = np.column_stack([1 - skill.hits(y, p) for p in preds.values()])
        # verdict seeds each horizon's bootstrap with seed + h
        spa = SPA(
            1 - skill.always_up_hits(y), losses, block_size=max(2 * h, 2), reps=300, bootstrap="stationary", seed=7 + h
        )
        spa.compute()
        raw.append(float(spa.pvalues["consistent"]))
    adjusted = multipletests(raw, method="holm")[1]
    assert adjusted[0] != pytest.approx(raw[0])  # raw ~0.043 and ~0.023: Holm moves the first to ~0.047
    skills = horizon_skills(horizons, alpha=0.05, reps=300, seed=7)
    assert [s.spa_p_value for s in skills] == pytest.approx(raw, abs=1e-6)  # served rounded to 6 places
    assert [s.spa_p_value_adjusted for s in skills] == pytest.approx(list(adjusted), abs=1e-6)
