"""Loading, step 3 (build scorer): any scikit-learn classifier as "probability of passing" for a batch of rows.

How the score is computed, in order: ``predict_proba``; else a logistic of ``decision_function``
(the sign convention of sklearn: positive values favour ``classes_[1]``); else ``predict`` as 0/1.
The first of these that survives a smoke prediction (the explanation batch of the baseline student,
scores finite and within [0, 1]) is the scorer; each failure is noted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn

from app.ml.errors import ModelLoadError
from app.ml.explain import perturbation_rows
from app.ml.featurizer import build_model_input
from app.ml.model_schema import ModelSchema

METHOD_PROBA = "predict_proba"
METHOD_DECISION = "decision_function"
METHOD_PREDICT = "predict"


def _logistic(values: np.ndarray) -> np.ndarray:
    # Clipping keeps exp() finite for extreme margins; the result saturates at 0/1 anyway.
    probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(values, -500.0, 500.0)))
    return probabilities


@dataclass(frozen=True)
class Scorer:
    estimator: Any
    method: str
    positive_index: int
    positive_class: Any
    n_classes: int

    def scores(self, model_input: Any) -> np.ndarray:
        """Probability of the positive class for each row (one model call for the whole batch)."""
        if self.method == METHOD_PROBA:
            return np.asarray(self.estimator.predict_proba(model_input), dtype=np.float64)[:, self.positive_index]
        if self.method == METHOD_DECISION:
            margins = np.asarray(self.estimator.decision_function(model_input), dtype=np.float64)
            if margins.ndim == 1:
                # Binary: the margin favours classes_[1]; flip it when the positive class is classes_[0].
                return _logistic(margins if self.positive_index == 1 else -margins)
            return _logistic(margins[:, self.positive_index])
        predicted = np.asarray(self.estimator.predict(model_input))
        hits: np.ndarray = (predicted == self.positive_class).astype(np.float64)
        return hits


def available_methods(estimator: Any) -> list[str]:
    """Scoring methods in order of preference; ``hasattr`` honours sklearn's ``available_if``."""
    return [name for name in (METHOD_PROBA, METHOD_DECISION, METHOD_PREDICT) if hasattr(estimator, name)]


def _smoke_scores(scorer: Scorer, schema: ModelSchema) -> None:
    block = perturbation_rows(schema.baselines.copy(), schema.baselines)
    with sklearn.config_context(assume_finite=True):
        scores = scorer.scores(build_model_input(block, schema.features))
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (block.shape[0],) or not np.all(np.isfinite(scores)):
        raise ValueError(f"scores have shape {scores.shape} or are not finite")
    if np.any(scores < 0.0) or np.any(scores > 1.0):
        raise ValueError("scores fall outside [0, 1]")


def build_scorer(estimator: Any, schema: ModelSchema, notes: list[str]) -> Scorer:
    """The first scoring method that survives a smoke prediction; failures are noted, not fatal."""
    methods = available_methods(estimator)
    if not methods:
        raise ModelLoadError(f"{type(estimator).__name__} has no predict/predict_proba: not a classifier")
    last_error: Exception | None = None
    for method in methods:
        scorer = Scorer(
            estimator=estimator,
            method=method,
            positive_index=schema.positive_index,
            positive_class=schema.classes[schema.positive_index],
            n_classes=len(schema.classes),
        )
        try:
            _smoke_scores(scorer, schema)
        except Exception as exc:  # noqa: BLE001 - a third-party model may fail in any way
            notes.append(f"{method} failed a smoke prediction: {type(exc).__name__}: {exc}")
            last_error = exc
            continue
        return scorer
    raise ModelLoadError(f"the model failed a smoke prediction: {type(last_error).__name__}: {last_error}")
