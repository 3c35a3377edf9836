"""Where things sit in a fitted scikit-learn model: its first and last step, and the column groups of
the ColumnTransformer it starts with. One place for the pipeline walking the runtime and the schema
inspection share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def first_step(estimator: Any) -> Any:
    """A Pipeline's first step; any other estimator is its own first step."""
    return estimator.steps[0][1] if hasattr(estimator, "steps") else estimator


def final_step(estimator: Any) -> Any:
    """A Pipeline's final estimator; any other estimator is its own final step."""
    return estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator


def column_groups(estimator: Any) -> Iterator[tuple[list[str], list[Any]]]:
    """For the ColumnTransformer the model starts with (if it does): each fitted group's column names
    and its steps (a one-step list for a bare transformer, the steps of a small pipeline otherwise).
    "drop"/"passthrough" groups and groups selected by anything but a list of names are skipped."""
    transformer = first_step(estimator)
    for _, part, columns in getattr(transformer, "transformers_", None) or []:
        if isinstance(part, str) or not isinstance(columns, (list, tuple)):
            continue
        yield list(columns), [step for _, step in getattr(part, "steps", [])] or [part]
