"""A numpy-only equivalent of common linear pipelines, to keep per-request latency tiny.

scikit-learn spends ~1 ms per ``predict_proba`` call on input validation (DataFrame inspection,
feature-name checks, array-API dispatch), while the maths of ``StandardScaler`` + a linear
classifier on eight rows takes microseconds. For pipelines made only of the steps below, this
module rebuilds the same arithmetic from the fitted attributes. The loader then *proves* the
equivalence on probe rows against the real ``predict_proba``/``decision_function`` and uses the
fast path only when every score matches to 1e-9; anything else keeps the sklearn path.

Supported: transforms StandardScaler, MinMaxScaler (no clip), RobustScaler, MaxAbsScaler,
SimpleImputer without indicator (an identity here: inputs are validated finite), passthrough;
final step a binary LogisticRegression (probabilities) or any binary linear model with
``coef_``/``intercept_`` scored through its decision function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

from app.ml.scoring import METHOD_DECISION, METHOD_PROBA, Scorer

# An affine map per column: x * scale + shift.
Affine = tuple[np.ndarray, np.ndarray]


def _as_vector(values: Any, n_features: int, fill: float) -> np.ndarray | None:
    if values is None:
        return np.full(n_features, fill, dtype=np.float64)
    vector = np.asarray(values, dtype=np.float64)
    return vector if vector.shape == (n_features,) else None


def _affine_of(step: Any, n_features: int) -> Affine | None:
    """``x * scale + shift`` equal to ``step.transform``, or None when the step is unsupported."""
    identity = (np.ones(n_features), np.zeros(n_features))
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return identity
    if type(step) is StandardScaler:
        mean = _as_vector(step.mean_ if step.with_mean else None, n_features, 0.0)
        scale = _as_vector(step.scale_ if step.with_std else None, n_features, 1.0)
        return None if mean is None or scale is None else (1.0 / scale, -mean / scale)
    if type(step) is RobustScaler:
        centre = _as_vector(step.center_ if step.with_centering else None, n_features, 0.0)
        scale = _as_vector(step.scale_ if step.with_scaling else None, n_features, 1.0)
        return None if centre is None or scale is None else (1.0 / scale, -centre / scale)
    if type(step) is MinMaxScaler and not step.clip:
        scale = _as_vector(step.scale_, n_features, 1.0)
        shift = _as_vector(step.min_, n_features, 0.0)
        return None if scale is None or shift is None else (scale, shift)
    if type(step) is MaxAbsScaler:
        scale = _as_vector(step.scale_, n_features, 1.0)
        return None if scale is None else (1.0 / scale, np.zeros(n_features))
    if type(step) is SimpleImputer and not step.add_indicator:
        statistics = np.asarray(step.statistics_, dtype=np.float64)
        # A column whose statistic is NaN is dropped by the imputer: not an identity any more.
        return identity if statistics.shape == (n_features,) and np.all(np.isfinite(statistics)) else None
    return None


def _linear_head(final: Any, method: str, n_features: int) -> tuple[np.ndarray, float] | None:
    coef = getattr(final, "coef_", None)
    intercept = getattr(final, "intercept_", None)
    if coef is None or intercept is None or len(getattr(final, "classes_", ())) != 2:
        return None
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64).ravel()
    if coef.shape != (1, n_features) or intercept.shape != (1,):
        return None
    if method == METHOD_PROBA and type(final) is not LogisticRegression:
        return None  # other linear models calibrate probabilities differently
    if method not in (METHOD_PROBA, METHOD_DECISION):
        return None
    return coef[0], float(intercept[0])


def compile_linear_scorer(scorer: Scorer, n_features: int) -> Callable[[np.ndarray], np.ndarray] | None:
    """A function raw rows -> positive-class scores, or None when the model is not supported."""
    estimator = scorer.estimator
    steps = getattr(estimator, "steps", None)
    transforms, final = ([step for _, step in steps[:-1]], steps[-1][1]) if steps else ([], estimator)
    scale, shift = np.ones(n_features), np.zeros(n_features)
    for step in transforms:
        affine = _affine_of(step, n_features)
        if affine is None:
            return None
        # Compose: (x * scale + shift) * s + t
        scale, shift = scale * affine[0], shift * affine[0] + affine[1]
    head = _linear_head(final, scorer.method, n_features)
    if head is None:
        return None
    coef, intercept = head
    # Fold the whole pipeline into one dot product: z = x . (coef * scale) + (shift . coef + b)
    weights = coef * scale
    bias = float(shift @ coef + intercept)
    sign = 1.0 if scorer.positive_index == 1 else -1.0

    def scores(rows: np.ndarray) -> np.ndarray:
        margin = sign * (rows @ weights + bias)
        return 1.0 / (1.0 + np.exp(-np.clip(margin, -500.0, 500.0)))

    return scores


def verified_fast_scorer(scorer: Scorer, n_features: int, probe_rows: np.ndarray,
                         reference_scores: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | None:
    """The compiled scorer only if it reproduces the model's own scores on ``probe_rows``."""
    fast = compile_linear_scorer(scorer, n_features)
    if fast is None:
        return None
    candidate = fast(probe_rows)
    if candidate.shape != reference_scores.shape or not np.allclose(candidate, reference_scores, rtol=0, atol=1e-9):
        return None
    return fast
