"""Model-agnostic explanations: how much each feature moves the score away from a baseline.

For an input ``x`` the model scores, in one batched call, ``x`` itself and one copy of ``x`` per
feature ``j`` with that feature replaced by its baseline value. Then

    impact_j = score(x) - score(x with x_j := baseline_j)

so a positive impact means "this feature's value pushes towards passing, compared with a typical
student". For a linear model on a logit scale this is close to the exact contribution; for any
model it is honest about what the model actually does.

Baselines, per feature, in order (a categorical feature's baseline is its first level: the encoders
keep no frequencies, so the most frequent level cannot be known from the model):

1. the card's ``default`` (train.py writes the training medians there);
2. the training mean learned by the pipeline's first step, when that step is a fitted
   ``StandardScaler`` (``mean_``) or a mean/median ``SimpleImputer`` (``statistics_``) that sees
   the raw features;
3. the midpoint of the card's ``min``/``max`` when both exist;
4. ``0.0``: the only neutral value left. Impacts are then relative to an all-zero student, which
   can be far from the data; ship a card with defaults to fix that.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.ml.featurizer import FeatureSchema


def _first_transform_step(estimator: Any) -> Any:
    steps = getattr(estimator, "steps", None)
    if not steps:
        return None
    for _, step in steps[:-1]:
        if step is None or step == "passthrough":
            continue
        return step
    return None


def learned_training_centre(estimator: Any, n_features: int) -> np.ndarray | None:
    """Training means (or medians) stored by a pipeline's first step, if it has any."""
    step = _first_transform_step(estimator)
    if step is None:
        return None
    centre = getattr(step, "mean_", None)
    if centre is None and getattr(step, "strategy", None) in ("mean", "median"):
        centre = getattr(step, "statistics_", None)
    if centre is None:
        return None
    try:
        centre = np.asarray(centre, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if centre.shape != (n_features,) or not np.all(np.isfinite(centre)):
        return None
    return centre


def resolve_baselines(estimator: Any, schema: FeatureSchema) -> tuple[np.ndarray, dict[str, str]]:
    """Baseline value per feature, plus where each one came from (shown in the engine status)."""
    learned = learned_training_centre(estimator, len(schema.specs))
    values: np.ndarray = np.zeros(len(schema.specs), dtype=schema.row_dtype)
    sources: dict[str, str] = {}
    for index, spec in enumerate(schema.specs):
        if spec.levels:
            values[index], sources[spec.name] = spec.levels[0], "first level of the encoder"
        elif spec.default is not None:
            values[index], sources[spec.name] = spec.default, "card default"
        elif learned is not None:
            values[index], sources[spec.name] = learned[index], "training mean"
        elif spec.minimum is not None and spec.maximum is not None:
            values[index], sources[spec.name] = (spec.minimum + spec.maximum) / 2.0, "card range midpoint"
        else:
            values[index], sources[spec.name] = 0.0, "zero (no card default, no learned mean)"
    return values, sources


def perturbation_rows(row: np.ndarray, baselines: np.ndarray) -> np.ndarray:
    """``[x, x with x_0 := b_0, ..., x with x_n := b_n]`` as one ``(n + 1, n)`` block."""
    n_features = row.shape[0]
    block = np.repeat(row[np.newaxis, :], n_features + 1, axis=0)
    diagonal = np.arange(n_features)
    block[diagonal + 1, diagonal] = baselines
    return block


def impacts_from_scores(scores: np.ndarray, names: list[str]) -> list[tuple[str, float]]:
    """``scores`` is the model's output for ``perturbation_rows``; sorted by absolute impact."""
    own_score = scores[0]
    pairs = [(name, float(own_score - scores[index + 1])) for index, name in enumerate(names)]
    # Ties keep the model's column order, so equal impacts come out deterministically.
    return sorted(pairs, key=lambda pair: -abs(pair[1]))
