"""Which class means "passed" (the positive class), in order of trust:

1. the card's ``positive_class`` (matched by value, or by its string form: JSON cannot say
   ``numpy.int64(1)``);
2. a class equal to ``1`` / ``True`` (the usual 0/1 or bool target);
3. exactly one string class that reads as a pass (aprob-, approb-, aprueba, pass, approv-,
   success) and not as a fail (desaprob-, reprob-, "no aprueba", fail, "not pass"), or, with two
   classes, the other class of a lone fail-looking one;
4. the last class in ``classes_`` (sklearn sorts them, so 0/1-like targets end on the higher one).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

_PASS_PATTERN = re.compile(r"aprob|approb|aprueba|approv|pass|success|exito|éxito", re.IGNORECASE)
_FAIL_PATTERN = re.compile(
    r"desaprob|desapru|reprob|\bno[\s_-]*(?:aprob|aprue|pas)|not[\s_-]*pass|fail|jalad|suspen", re.IGNORECASE
)


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
