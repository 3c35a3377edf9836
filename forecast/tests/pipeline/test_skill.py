"""The statistics behind every served accuracy: intervals, one-sided tests, Holm, SPA and the hold-out."""

import numpy as np
import pytest

from pipelines import skill


def _overlapping_hits(n: int, h: int, seed: int) -> np.ndarray:
    """Hits of always-up on overlapping h-day sums of iid daily returns: MA(h-1)-correlated."""
    daily = np.random.default_rng(seed).normal(0.0003, 0.01, n + h)
    y = np.convolve(daily, np.ones(h), mode="valid")[:n]
    return skill.always_up_hits(y)


def test_a_model_behind_always_up_gets_a_one_sided_p_of_at_least_one_half():
    rng = np.random.default_rng(0)
    for seed in range(20):
        base = (rng.random(500) < 0.6).astype(float)
        behind = base.copy()
        flips = np.random.default_rng(seed).choice(500, 30, replace=False)
        behind[flips] = 0.0  # never better than always-up, worse somewhere
        assert behind.mean() < base.mean()
        assert skill.p_value_vs_baseline(behind, base, h=5) >= 0.5


def test_identical_hits_are_a_tie_and_a_clear_lead_is_significant():
    base = (np.random.default_rng(1).random(800) < 0.55).astype(float)
    assert skill.p_value_vs_baseline(base, base, h=1) == 0.5
    ahead = base.copy()
    ahead[np.flatnonzero(base == 0)[:120]] = 1.0
    assert skill.p_value_vs_baseline(ahead, base, h=1) < 1e-6


def test_hac_interval_is_wider_than_the_binomial_one_under_overlap():
    hit = _overlapping_hits(2000, 30, seed=4)
    low, high = skill.da_interval(hit, 30)
    n_low, n_high = skill.naive_da_interval(hit)
    assert low < 100 * hit.mean() < high
    assert (high - low) / (n_high - n_low) > 2.0
    # Without overlap the two agree closely.
    iid = _overlapping_hits(2000, 1, seed=4)
    low1, high1 = skill.da_interval(iid, 1)
    n_low1, n_high1 = skill.naive_da_interval(iid)
    assert (high1 - low1) == pytest.approx(n_high1 - n_low1, rel=0.02)


def test_holm_matches_the_step_down_by_hand():
    assert skill.holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert skill.holm([]) == []


def test_spa_finds_a_real_edge_and_not_a_lucky_one():
    rng = np.random.default_rng(7)
    n = 1500
    up = (rng.random(n) < 0.55).astype(float)
    chance = np.column_stack([(rng.random(n) < 0.5).astype(float) for _ in range(8)])
    assert skill.spa_p_value(up, chance, h=1, reps=500, seed=1) > 0.2
    skilled = np.where(rng.random(n) < 0.66, 1.0, 0.0)
    assert skill.spa_p_value(up, np.column_stack([chance, skilled]), h=1, reps=500, seed=1) < 0.01


def test_the_selection_block_ends_h_rows_before_the_hold_out():
    rows = np.arange(3000, 4000)
    for h in (1, 5, 30):
        split = skill.selection_holdout(rows, h, 0.2)
        assert len(split.holdout) == 200 and split.holdout[-1] == 999
        first_holdout_row = rows[split.holdout[0]]
        assert rows[split.selection].max() + h <= first_holdout_row  # no shared daily return
        assert rows[split.selection].max() + h + 1 > first_holdout_row  # and nothing more is dropped


def test_a_model_identical_to_always_up_cannot_make_the_spa_look_significant():
    rng = np.random.default_rng(11)
    n = 1500
    up = (rng.random(n) < 0.6).astype(float)
    noise = np.column_stack([(rng.random(n) < 0.5).astype(float) for _ in range(3)])
    with_clone = np.column_stack([noise, up])  # a model that always says "up"
    p_noise = skill.spa_p_value(up, noise, h=5, reps=500, seed=2)
    assert skill.spa_p_value(up, with_clone, h=5, reps=500, seed=2) == pytest.approx(p_noise)
    assert skill.spa_p_value(up, up[:, None], h=5, reps=500, seed=2) == 1.0  # nobody ever beats it


def test_too_few_points_for_the_lags_give_no_evidence():
    lead = np.array([1.0] * 12 + [0.0] * 8)
    base = np.array([0.0] * 2 + [1.0] * 10 + [0.0] * 8)  # the model leads on 2 of 20 points
    assert skill.p_value_vs_baseline(lead, base, h=30) == 1.0
    assert skill.da_interval(lead, 30) == (0.0, 100.0)
    assert skill.spa_p_value(base, lead[:, None], h=30, reps=200, seed=0) == 1.0
    assert skill.p_value_vs_baseline(lead, base, h=1) < 0.5  # the same lead, with enough points per lag
