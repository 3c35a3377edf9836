"""The consensus' numbers, not only its membership: weights proportional to each model's edge, the
significance and edge thresholds at their boundaries, the blended out-of-sample path and the hold-out
calls. Written against the mutants that survived `make mutants` (docs/mutation.md)."""

import numpy as np
import pytest

from pipelines import consensus, skill
from pipelines import forecast as fc

N = 5000


def _alternating(n: int = N) -> np.ndarray:
    """Up, down, up, ...: always-up hits exactly half the points."""
    return np.where(np.arange(n) % 2 == 0, 0.01, -0.01)


def _up_except_at(down_rows: np.ndarray, n: int = N) -> np.ndarray:
    """A forecast that says up everywhere except at ``down_rows``."""
    pred = np.full(n, 0.001)
    pred[down_rows] = -0.001
    return pred


def _split() -> skill.Split:
    return skill.selection_holdout(np.arange(N), 1, 0.2)


# Calling down at the first k "down" rows (odd rows, all in the selection block) adds k hits to
# always-up's: an edge of 100 * k / len(selection) percentage points.
SLIGHT = _up_except_at(np.arange(1, 50, 2))  # 25 extra hits
BETTER = _up_except_at(np.arange(1, 200, 2))  # 100 extra hits


def test_weights_are_the_edges_over_always_up_normalised_to_one():
    split = _split()
    weights = consensus.skilled_weights(_alternating(), {"slight": SLIGHT, "better": BETTER}, split, 1, 0.05)
    # Edges 25 and 100 extra hits over the same selection block: weights 25/125 and 100/125.
    assert weights == pytest.approx({"slight": 0.2, "better": 0.8})


def test_a_significant_edge_below_one_percentage_point_still_counts():
    split = _split()
    edge = 100 * 25 / len(split.selection)
    assert 0 < edge < 1
    assert consensus.skilled_weights(_alternating(), {"slight": SLIGHT}, split, 1, 0.05) == {"slight": 1.0}


def test_a_model_counts_only_when_its_adjusted_p_value_is_strictly_below_alpha():
    y, split = _alternating(), _split()
    sel = split.selection
    p = skill.p_value_vs_baseline(skill.hits(y[sel], SLIGHT[sel]), skill.always_up_hits(y[sel]), 1)
    assert 0 < p < 0.05  # one model: Holm leaves its p-value as it is
    assert consensus.skilled_weights(y, {"slight": SLIGHT}, split, 1, alpha=p) == {}
    assert consensus.skilled_weights(y, {"slight": SLIGHT}, split, 1, alpha=np.nextafter(p, 1)) == {"slight": 1.0}


def test_a_model_no_better_than_always_up_is_never_counted_however_lax_alpha_is():
    # Right on 25 "down" rows, wrong on 25 "up" rows: the same hit rate as always-up, p = 0.5.
    swap = _up_except_at(np.concatenate([np.arange(1, 50, 2), np.arange(100, 150, 2)]))
    assert consensus.skilled_weights(_alternating(), {"swap": swap}, _split(), 1, alpha=0.6) == {}


def _skilled_case(seed: int = 3, n: int = 3000):
    rng = np.random.default_rng(seed)
    y = rng.normal(0.0005, 0.01, n)
    preds = {"sharp": y + rng.normal(0, 0.01, n), "blunt": y + rng.normal(0, 0.02, n)}
    return y, np.arange(5000, 5000 + n), preds


def test_a_skilled_consensus_blends_the_forecasts_and_calls_the_hold_out_with_its_calibration():
    y, rows, preds = _skilled_case()
    split = skill.selection_holdout(rows, 1, 0.2)
    live = {"sharp": -0.002, "blunt": 0.004}
    c = consensus.build(y, rows, y, preds, live, split, 1, 0.05)
    w = c.weights
    assert set(w) == {"sharp", "blunt"} and w["sharp"] > w["blunt"] and sum(w.values()) == pytest.approx(1)
    np.testing.assert_allclose(c.oos, w["sharp"] * preds["sharp"] + w["blunt"] * preds["blunt"])
    assert c.prediction == pytest.approx(w["sharp"] * -0.002 + w["blunt"] * 0.004)
    # Platt scaling fitted on the selection block's blended forecasts and realised directions.
    calibrated = fc.platt(c.oos[split.selection], y[split.selection])
    assert c.p_up == pytest.approx(float(calibrated(np.array([c.prediction]))[0]))
    expected_calls = calibrated(c.oos[split.holdout]) > 0.5
    assert expected_calls.any() and not expected_calls.all()
    np.testing.assert_array_equal(c.holdout_up, expected_calls)


def test_without_skill_the_hold_out_follows_the_drift_path_and_even_odds_call_down():
    y_all = _alternating(400)
    rows = np.arange(300, 399)
    split = skill.selection_holdout(rows, 1, 0.2)
    c = consensus.build(
        y_all, rows, y_all[rows], {"always_up": np.full(len(rows), 0.001)}, {"always_up": 0.001}, split, 1, 0.05
    )
    assert c.weights == {}
    mean_path, p_up_path = consensus.drift_path(y_all, rows, 1)
    np.testing.assert_allclose(c.oos, mean_path)
    # After an even number of alternating targets up and down are exactly even: the call is "down",
    # as Consensus.direction calls p_up = 0.5.
    even = p_up_path[split.holdout] == 0.5
    assert even.any() and not even.all()
    np.testing.assert_array_equal(c.holdout_up, p_up_path[split.holdout] > 0.5)
    assert not c.holdout_up[even].any()


def test_drift_keeps_the_mean_at_even_odds_when_the_mean_is_down():
    # Up half the time: the likelier direction is not "up" (p_up > 0.5 is false), and neither is the
    # mean (-0.0075), so they agree and the mean stands, not the median (0.0).
    assert consensus.drift(np.array([-0.05, -0.01, 0.01, 0.02])) == pytest.approx((-0.0075, 0.5))
