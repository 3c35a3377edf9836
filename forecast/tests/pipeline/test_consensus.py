"""The consensus counts only models that beat always-up on the selection block, and otherwise says it has
nothing: the drift forecast, no models, no weights, signal no_edge."""

import numpy as np
import pytest

from pipelines import consensus, skill


def _case(n: int = 3000, seed: int = 0):
    """Daily-like targets with an upward drift, one informative model, one noise model, one always-up."""
    rng = np.random.default_rng(seed)
    y = rng.normal(0.0005, 0.01, n)
    preds = {
        "informed": y + rng.normal(0, 0.01, n),
        "noise": rng.normal(0, 0.01, n),
        "always_up": np.full(n, 0.001),
    }
    rows = np.arange(5000, 5000 + n)
    return y, rows, preds


def test_only_models_that_beat_always_up_on_the_selection_block_are_weighted():
    y, rows, preds = _case()
    split = skill.selection_holdout(rows, 1, 0.2)
    weights = consensus.skilled_weights(y, preds, split, 1, 0.05)
    assert weights == {"informed": 1.0}


def test_the_weights_ignore_the_hold_out_block():
    y, rows, preds = _case()
    split = skill.selection_holdout(rows, 1, 0.2)
    scrambled = {m: p.copy() for m, p in preds.items()}
    scrambled["informed"][split.holdout] = -scrambled["informed"][split.holdout]  # awful on the hold-out only
    assert consensus.skilled_weights(y, scrambled, split, 1, 0.05) == {"informed": 1.0}


def test_without_skill_the_consensus_is_the_drift_forecast():
    y, rows, preds = _case()
    del preds["informed"]
    history = np.random.default_rng(5).normal(0.002, 0.02, 4000)
    y_all = np.concatenate([history, y])  # rows 0..6999; the test rows are 5000..7999 minus the tail
    rows = rows[: len(y_all) - 5000]
    y_test = y_all[rows]
    preds = {m: p[: len(rows)] for m, p in preds.items()}
    split = skill.selection_holdout(rows, 1, 0.2)
    c = consensus.build(y_all, rows, y_test, preds, {"noise": -0.03, "always_up": 0.001}, split, 1, 0.05)
    assert c.weights == {}
    assert c.prediction == pytest.approx(y_all.mean())
    assert c.p_up == pytest.approx(np.mean(y_all > 0))
    assert c.direction == "up" and c.confidence >= 0.5


def test_drift_direction_is_the_more_frequent_one_even_when_the_mean_disagrees():
    # Many small falls and a few large rises: the mean is up, "down" happens 70% of the time.
    history = np.array([-0.01] * 70 + [0.05] * 30)
    prediction, p_up = consensus.drift(history)
    assert p_up == pytest.approx(0.3)
    assert prediction == pytest.approx(-0.01)  # the median, which agrees with the likelier direction
    up = np.array([0.01] * 60 + [-0.005] * 40)
    # mean (60 * 0.01 - 40 * 0.005) / 100 = 0.004, up 60 times in 100
    assert consensus.drift(up) == pytest.approx((0.004, 0.6))


def test_drift_path_uses_only_targets_realised_by_each_test_row():
    y_all = np.array([0.01, -0.02, 0.03, 0.04, -0.05, 0.06])
    mean, p_up = consensus.drift_path(y_all, np.array([3, 5]), 2)
    # h = 2: row i's target ends at row i + 2. At row 3 rows 0-1 are realised: mean (0.01 - 0.02) / 2
    # = -0.005, one up in two. At row 5 rows 0-3: mean (0.01 - 0.02 + 0.03 + 0.04) / 4 = 0.015, 3 of 4 up.
    np.testing.assert_allclose(mean, [-0.005, 0.015])
    np.testing.assert_allclose(p_up, [0.5, 0.75])


def test_a_skilled_consensus_calls_the_direction_its_calibration_favours():
    y, rows, preds = _case(seed=3)
    split = skill.selection_holdout(rows, 1, 0.2)
    live = {"informed": -0.0001, "noise": 0.02, "always_up": 0.001}
    c = consensus.build(y, rows, y, preds, live, split, 1, 0.05)
    assert c.weights == {"informed": 1.0} and c.prediction == pytest.approx(-0.0001)
    assert c.confidence >= 0.5
    assert (c.direction == "up") == (c.p_up > 0.5)
    # The hold-out calls come from the calibration fitted on the selection block.
    assert len(c.holdout_up) == len(split.holdout)


def test_too_short_a_selection_block_weights_nobody():
    y, rows, preds = _case(n=120, seed=4)
    split = skill.selection_holdout(rows, 10, 0.2)  # ~86 selection points for 9 lags: under 10 per lag
    assert len(split.selection) < 10 * 10
    assert consensus.skilled_weights(y, preds, split, 10, 0.05) == {}
