"""Turns a request's ``features`` mapping into the exact input the model expects.

Validation collects *every* problem before raising, so one 422 names all bad fields at once.
A numeric feature's value must be a real, finite number: bools, strings, None, NaN, inf and integers
too large for a float are refused, because any silent coercion would let a typo or a broken client
produce a confident-looking prediction. A categorical feature (one the model's encoder learned string
levels for, app/ml/categorical.py) takes one of those levels as a string; an unknown level is
accepted only where the encoder would accept it, otherwise the 422 lists the allowed levels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# Larger magnitudes are almost certainly client bugs, and they can overflow a linear model's
# decision function into inf/NaN scores. Card bounds, when present, are checked as well.
MAX_ABS_FEATURE_VALUE = 1e12


@dataclass(frozen=True)
class FieldError:
    """One problem with one request field; ``field`` is a dotted path like ``features.EDAD``."""

    field: str
    message: str
    code: str


class FeatureValidationError(Exception):
    """The request's features or deltas cannot be fed to the model (the API answers 422)."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        summary = "; ".join(f"{error.field}: {error.message}" for error in self.errors)
        super().__init__(summary or "invalid features")


@dataclass(frozen=True)
class FeatureSpec:
    """What the model card (or the model) says about one input column."""

    name: str
    default: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str | None = None
    # Categorical features: the encoder's levels, and whether it takes a level it never saw.
    levels: tuple[str, ...] | None = None
    accepts_unknown_level: bool = False

    @property
    def is_categorical(self) -> bool:
        return self.levels is not None


@dataclass(frozen=True)
class FeatureSchema:
    """The ordered input columns of a model.

    ``open_ended`` is only used by a mock engine without a card: there is nothing to validate
    names against, so any finite numeric feature is accepted in the order given.
    ``as_dataframe`` is True when the model was fit on a DataFrame, so column names must be passed
    (ColumnTransformers select by name, and sklearn checks names against ``feature_names_in_``).
    """

    specs: tuple[FeatureSpec, ...]
    open_ended: bool = False
    as_dataframe: bool = True

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.specs]

    def spec_by_name(self) -> dict[str, FeatureSpec]:
        return {spec.name: spec for spec in self.specs}

    @property
    def has_categorical(self) -> bool:
        return any(spec.is_categorical for spec in self.specs)

    @property
    def row_dtype(self) -> type:
        """Rows of raw feature values: float64, or object when a categorical level is a string."""
        return object if self.has_categorical else np.float64


def coerce_number(value: Any) -> tuple[float | None, FieldError | None]:
    """Returns ``(number, None)`` or ``(None, error-without-field)``; the caller sets the field."""
    if isinstance(value, (bool, np.bool_)):
        return None, FieldError("", "must be a number, not a boolean", "type_error")
    if isinstance(value, (int, np.integer)):
        try:
            number = float(value)
        except OverflowError:
            return None, FieldError("", "number is too large", "out_of_range")
    elif isinstance(value, (float, np.floating)):
        number = float(value)
    else:
        kind = "null" if value is None else type(value).__name__
        return None, FieldError("", f"must be a number, got {kind}", "type_error")
    if not math.isfinite(number):
        return None, FieldError("", "must be a finite number", "not_finite")
    if abs(number) > MAX_ABS_FEATURE_VALUE:
        return None, FieldError("", f"magnitude exceeds {MAX_ABS_FEATURE_VALUE:g}", "out_of_range")
    return number, None


def _bounds_error(spec: FeatureSpec, number: float) -> str | None:
    if spec.minimum is not None and number < spec.minimum:
        return f"must be >= {spec.minimum:g}"
    if spec.maximum is not None and number > spec.maximum:
        return f"must be <= {spec.maximum:g}"
    return None


def _require_mapping(raw: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise FeatureValidationError([FieldError(field, "must be an object", "type_error")])
    return raw


def _bounded_number(field: str, value: Any, spec: FeatureSpec | None, base: float | None = None) -> float | FieldError:
    """``value`` as a number within the spec's bounds, or the field's error. A delta passes ``base``,
    the feature's current value: the bounds then hold for where the delta lands."""
    number, error = coerce_number(value)
    if error is not None:
        return FieldError(field, error.message, error.code)
    assert number is not None  # coerce_number gives a number exactly when it gives no error
    landed = number if base is None else base + number
    problem = _bounds_error(spec, landed) if spec else None
    if problem:
        return FieldError(field, problem if base is None else f"resulting value {landed:g} {problem}", "out_of_range")
    return number


def _level_error(spec: FeatureSpec, value: Any) -> FieldError | None:
    allowed = ", ".join(spec.levels or ())
    if not isinstance(value, str):
        return FieldError("", f"must be one of the levels: {allowed}", "type_error")
    if value not in (spec.levels or ()) and not spec.accepts_unknown_level:
        return FieldError("", f"unknown level {value[:64]!r}; allowed: {allowed}", "unknown_level")
    return None


def validate_features(raw: Any, schema: FeatureSchema) -> dict[str, float | str]:
    """Validates a request's features; returns every model feature (defaults filled) in order."""
    raw = _require_mapping(raw, "features")
    errors: list[FieldError] = []
    given: dict[str, float | str] = {}
    known = schema.spec_by_name()
    for name, value in raw.items():
        field = f"features.{name}"
        if not isinstance(name, str) or (not schema.open_ended and name not in known):
            errors.append(FieldError(field, "unknown feature for this model", "unknown_feature"))
            continue
        if known.get(name) is not None and known[name].is_categorical:
            level_error = _level_error(known[name], value)
            if level_error is not None:
                errors.append(FieldError(field, level_error.message, level_error.code))
            else:
                given[name] = value
            continue
        number = _bounded_number(field, value, known.get(name))
        if isinstance(number, FieldError):
            errors.append(number)
        else:
            given[name] = number

    resolved: dict[str, float | str] = {}
    for spec in schema.specs:
        if spec.name in given:
            resolved[spec.name] = given[spec.name]
        elif spec.default is not None:
            resolved[spec.name] = spec.default
        elif not any(error.field == f"features.{spec.name}" for error in errors):
            errors.append(FieldError(f"features.{spec.name}", "required feature is missing", "missing"))
    if schema.open_ended:
        for name, given_value in given.items():
            resolved.setdefault(name, given_value)
    if errors:
        raise FeatureValidationError(errors)
    return resolved


def validate_deltas(raw: Any, features: Mapping[str, float | str], schema: FeatureSchema) -> dict[str, float]:
    """Validates what-if deltas against the resolved features; every delta must name one of them."""
    raw = _require_mapping(raw, "deltas")
    errors: list[FieldError] = []
    deltas: dict[str, float] = {}
    known = schema.spec_by_name()
    for name, value in raw.items():
        field = f"deltas.{name}"
        if not isinstance(name, str) or name not in features:
            errors.append(FieldError(field, "unknown feature for this model", "unknown_feature"))
            continue
        current = features[name]
        if isinstance(current, str) or (known.get(name) is not None and known[name].is_categorical):
            errors.append(
                FieldError(field, "a categorical feature has no delta: send the other level in features", "type_error")
            )
            continue
        number = _bounded_number(field, value, known.get(name), base=current)
        if isinstance(number, FieldError):
            errors.append(number)
        else:
            deltas[name] = number
    if errors:
        raise FeatureValidationError(errors)
    return deltas


def apply_deltas(features: Mapping[str, float | str], deltas: Mapping[str, float]) -> dict[str, float | str]:
    return {name: _shifted(value, deltas[name]) if name in deltas else value for name, value in features.items()}


def _shifted(value: float | str, delta: float) -> float:
    if isinstance(value, str):  # validate_deltas refuses a delta on a categorical feature
        raise TypeError(f"cannot shift the categorical value {value!r}")
    return value + delta


def build_model_input(rows: np.ndarray, schema: FeatureSchema) -> pd.DataFrame | np.ndarray:
    """Wraps a 2-D block of raw values the way the model was fit (DataFrame with names, or plain array)."""
    if schema.as_dataframe:
        # Building from one 2-D block is far cheaper than from dicts or per-column Series.
        frame = pd.DataFrame(rows, columns=schema.names, copy=False)
        if schema.has_categorical:  # an object block: numeric columns back to float, levels stay strings
            frame = frame.astype({s.name: np.float64 for s in schema.specs if not s.is_categorical})
        return frame
    return rows


def to_feature_vector(payload: Mapping[str, Any], schema: FeatureSchema | None = None) -> np.ndarray:
    """The spec's entry point: the ordered 1-D feature vector for a payload.

    ``payload`` may be the whole request body (with a ``features`` key) or the features mapping
    itself. Without a schema every finite numeric feature is accepted in the order given.
    """
    features = payload.get("features", payload) if isinstance(payload, Mapping) else payload
    schema = schema or FeatureSchema(specs=(), open_ended=True, as_dataframe=False)
    resolved = validate_features(features, schema)
    return np.fromiter(resolved.values(), dtype=np.float64, count=len(resolved))
