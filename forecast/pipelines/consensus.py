"""Consensus per horizon: the models that beat always-up, or the drift forecast when none does.

Membership and weights are chosen on the selection block (the test points before the hold-out): a model
counts when its one-sided p-value against always-up there, Holm-adjusted over the horizon's models, is
below alpha and its edge is positive; its weight is that edge, normalised to sum to 1. The consensus'
probability of "up" is Platt-calibrated on the selection block too, and the consensus calls the
direction that probability favours, so its confidence is >= 0.5. Its published accuracy comes from
the hold-out block alone.

With no such model the consensus is the drift forecast: the mean h-day return over the fitting history,
with confidence = how often that direction occurred. Its direction is the more frequent one; where the
mean's sign disagrees with it (strongly skewed returns) the prediction is the median, which agrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines import forecast as fc
from pipelines import skill
from pipelines.metrics import is_up
from pipelines.skill import Split
from runcontract.forecasts import Direction


def skilled_weights(
    y_test: np.ndarray, preds: dict[str, np.ndarray], split: Split, h: int, alpha: float
) -> dict[str, float]:
    """Weights of the models that beat always-up on the selection block; empty when none does."""
    y_sel = y_test[split.selection]
    base = skill.always_up_hits(y_sel)
    edges, p_values = {}, []
    for m, pred in preds.items():
        hit = skill.hits(y_sel, pred[split.selection])
        edges[m] = 100.0 * (hit.mean() - base.mean())
        p_values.append(skill.p_value_vs_baseline(hit, base, h))
    adjusted = dict(zip(preds, skill.holm(p_values), strict=True))
    chosen = {m: edges[m] for m in preds if adjusted[m] < alpha and edges[m] > 0}
    total = sum(chosen.values())
    return {m: e / total for m, e in chosen.items()}


def drift(history: np.ndarray) -> tuple[float, float]:
    """(prediction, P(up)) of the drift forecast from past h-day returns."""
    history = np.asarray(history, float)
    mean, p_up = float(history.mean()), float(np.mean(is_up(history)))
    if is_up(mean) != (p_up > 0.5):
        mean = float(np.median(history))
    return mean, p_up


def drift_path(y_all: np.ndarray, test_rows: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """The drift forecast (mean, P(up)) at each test row, from the targets realised by then: rows
    i <= r - h, whose target ends by row r."""
    realised = y_all[: test_rows[-1] - h + 1]
    sums = np.concatenate([[0.0], np.cumsum(realised)])
    ups = np.concatenate([[0.0], np.cumsum(is_up(realised))])
    k = test_rows - h + 1
    return sums[k] / k, ups[k] / k


@dataclass(frozen=True)
class Consensus:
    prediction: float
    p_up: float
    weights: dict[str, float]
    oos: np.ndarray  # consensus prediction at every test point
    holdout_up: np.ndarray  # the direction it calls at each hold-out point

    @property
    def direction(self) -> Direction:
        return "up" if self.p_up > 0.5 else "down"

    @property
    def confidence(self) -> float:
        return max(self.p_up, 1.0 - self.p_up)


def build(
    y_all: np.ndarray,
    test_rows: np.ndarray,
    y_test: np.ndarray,
    preds: dict[str, np.ndarray],
    live: dict[str, float],
    split: Split,
    h: int,
    alpha: float,
) -> Consensus:
    """``y_all``: every realised h-day target, by row (the live models' fitting history)."""
    weights = skilled_weights(y_test, preds, split, h, alpha)
    if not weights:
        prediction, p_up = drift(y_all)
        mean_path, p_up_path = drift_path(y_all, test_rows, h)
        return Consensus(prediction, p_up, {}, mean_path, p_up_path[split.holdout] > 0.5)
    oos: np.ndarray = sum((w * preds[m] for m, w in weights.items()), np.zeros(len(y_test)))
    calibrated = fc.platt(oos[split.selection], y_test[split.selection])
    prediction = float(sum(w * live[m] for m, w in weights.items()))
    p_up = float(calibrated(np.array([prediction]))[0])
    return Consensus(prediction, p_up, weights, oos, calibrated(oos[split.holdout]) > 0.5)
