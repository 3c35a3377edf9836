"""Which input columns of a fitted pipeline are categorical, with their levels.

A column is categorical when a ColumnTransformer sends it to a OneHotEncoder or an OrdinalEncoder
(alone, or after an imputer in a small pipeline) whose learned ``categories_`` are strings. The levels
come from ``categories_``; whether an unknown level is allowed comes from the encoder's
``handle_unknown``: a OneHotEncoder that ignores unknowns (or maps them to the infrequent bucket) and
an OrdinalEncoder with ``use_encoded_value`` accept one; an encoder that would raise does not, and
the API answers 422 with the allowed levels instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.ml.steps import column_groups

ACCEPTS_UNKNOWN = {"OneHotEncoder": ("ignore", "infrequent_if_exist", "warn"), "OrdinalEncoder": ("use_encoded_value",)}


@dataclass(frozen=True)
class Categorical:
    levels: tuple[str, ...]
    accepts_unknown: bool


def categorical_columns(estimator: Any) -> dict[str, Categorical]:
    """Column name -> its levels, for every string-encoded column of the model's ColumnTransformer."""
    found: dict[str, Categorical] = {}
    for columns, steps in column_groups(estimator):
        encoder = next((s for s in steps if type(s).__name__ in ACCEPTS_UNKNOWN), None)
        categories = getattr(encoder, "categories_", None)
        if encoder is None or categories is None or len(categories) != len(columns):
            continue
        accepts = getattr(encoder, "handle_unknown", "error") in ACCEPTS_UNKNOWN[type(encoder).__name__]
        for column, levels in zip(columns, categories, strict=True):
            if len(levels) and all(isinstance(level, str) for level in levels):
                found[str(column)] = Categorical(tuple(str(level) for level in levels), accepts)
    return found
