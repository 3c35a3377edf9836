"""Turns any scikit-learn classifier into "probability of passing" for a batch of rows.

Which class means "passed" (the positive class), in order of trust:

1. the card's ``positive_class`` (matched by value, or by its string form: JSON cannot say
   ``numpy.int64(1)``);
2. a class equal to ``1`` / ``True`` (the usual 0/1 or bool target);
3. exactly one string class that reads as a pass (aprob-, approb-, aprueba, pass, approv-,
   success) and not as a fail (desaprob-, reprob-, "no aprueba", fail, "not pass"), or, with two
   classes, the other class of a lone fail-looking one;
4. the last class in ``classes_`` (sklearn sorts them, so 0/1-like targets end on the higher one).

How the score is computed, in order: ``predict_proba``; else a logistic of ``decision_function``
(the sign convention of sklearn: positive values favour ``classes_[1]``); else ``predict`` as 0/1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

_PASS_PATTERN = re.compile(r"aprob|approb|aprueba|approv|pass|success|exito|éxito", re.IGNORECASE)
_FAIL_PATTERN = re.compile(
    r"desaprob|desapru|reprob|\bno[\s_-]*(?:aprob|aprue|pas)|not[\s_-]*pass|fail|jalad|suspen", re.IGNORECASE
)

METHOD_PROBA = "predict_proba"
METHOD_DECISION = "decision_function"
METHOD_PREDICT = "predict"


def _reads_as_pass(label: Any) -> bool:
    text = str(label)
    return bool(_PASS_PATTERN.search(text)) and not _FAIL_PATTERN.search(text)


def _reads_as_fail(label: Any) -> bool:
    return bool(_FAIL_PATTERN.search(str(label)))


def _same_label(label: Any, wanted: Any) -> bool:
    if str(label) == str(wanted):
        return True
    try:
        return bool(label == wanted)
    except (TypeError, ValueError):
        return False


def resolve_positive_index(
    classes: np.ndarray, card_value: Any = None, card_has_value: bool = False
) -> tuple[int, str]:
    """Returns ``(index into classes_, how it was decided)``. See the module docstring."""
    labels = list(classes)
    if card_has_value:
        for index, label in enumerate(labels):
            if _same_label(label, card_value):
                return index, "card"
    for index, label in enumerate(labels):
        if isinstance(label, (bool, np.bool_)) and bool(label):
            return index, "class True"
    for index, label in enumerate(labels):
        if isinstance(label, (int, float, np.integer, np.floating)) and not isinstance(label, (bool, np.bool_)):
            if label == 1:
                return index, "class 1"
    passing = [index for index, label in enumerate(labels) if _reads_as_pass(label)]
    if len(passing) == 1:
        return passing[0], f"label pattern ({labels[passing[0]]!r})"
    failing = [index for index, label in enumerate(labels) if _reads_as_fail(label)]
    if len(labels) == 2 and len(failing) == 1:
        other = 1 - failing[0]
        return other, f"label pattern (other class than {labels[failing[0]]!r})"
    return len(labels) - 1, "last class (no better signal)"


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


def build_scorer(estimator: Any, classes: np.ndarray, method: str, positive_index: int) -> Scorer:
    return Scorer(
        estimator=estimator,
        method=method,
        positive_index=positive_index,
        positive_class=classes[positive_index],
        n_classes=len(classes),
    )
