"""Loading, step 2 (inspect schema): what the fitted classifier takes and answers.

Its classes and which one means "passed" (app/ml/positive_class.py), its feature columns in the
model's order (the model is the truth; the card only adds defaults, bounds and descriptions), the
levels of its categorical columns (app/ml/categorical.py) and each feature's explanation baseline
(app/ml/explain.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from app.ml.card import ModelCard
from app.ml.categorical import categorical_columns
from app.ml.errors import ModelLoadError
from app.ml.explain import resolve_baselines
from app.ml.featurizer import FeatureSchema, FeatureSpec
from app.ml.positive_class import resolve_positive_index


@dataclass(frozen=True)
class ModelSchema:
    features: FeatureSchema
    classes: np.ndarray
    positive_index: int
    positive_class_source: str
    baselines: np.ndarray
    baseline_sources: dict[str, str]


def _safe_attribute(estimator: Any, name: str) -> Any:
    """``getattr`` that also survives properties raising NotFittedError or anything else."""
    try:
        return getattr(estimator, name, None)
    except Exception:  # noqa: BLE001 - a broken attribute just means "not available"
        return None


def _classes(estimator: Any) -> np.ndarray:
    classes = _safe_attribute(estimator, "classes_")
    if classes is None or _safe_attribute(estimator, "predict") is None:
        raise ModelLoadError(f"{type(estimator).__name__} is not a fitted classifier (no classes_/predict)")
    classes = np.asarray(classes)
    if classes.ndim != 1 or len(classes) < 2:
        raise ModelLoadError(f"the classifier must know at least two classes, it has {classes.tolist()}")
    return classes


def _feature_schema(estimator: Any, card: ModelCard | None, notes: list[str]) -> FeatureSchema:
    """Model column order is the truth; the card only adds defaults, bounds and descriptions."""
    card_specs = {spec.name: spec for spec in card.features} if card else {}
    names_in = _safe_attribute(estimator, "feature_names_in_")
    if names_in is None:
        # CatBoost keeps the training columns in feature_names_ ("0", "1", ... when fit on an array).
        catboost_names = _safe_attribute(estimator, "feature_names_")
        if catboost_names and [str(n) for n in catboost_names] != [str(i) for i in range(len(catboost_names))]:
            names_in = catboost_names
    if names_in is not None:
        names = [str(name) for name in names_in]
        extra = sorted(set(card_specs) - set(names))
        if extra:
            notes.append(f"card features not used by the model: {extra}")
        levels = categorical_columns(estimator)
        specs = tuple(
            replace(
                card_specs.get(name, FeatureSpec(name=name)),
                levels=levels[name].levels,
                accepts_unknown_level=levels[name].accepts_unknown,
                default=None,
                minimum=None,
                maximum=None,
            )
            if name in levels
            else card_specs.get(name, FeatureSpec(name=name))
            for name in names
        )
        return FeatureSchema(specs=specs, as_dataframe=True)

    if card is None or not card_specs:
        raise ModelLoadError(
            "the model has no feature_names_in_ (it was fit on a plain array) and no model card lists "
            "its features, so the feature order cannot be known; add model.json with 'features'"
        )
    expected = _safe_attribute(estimator, "n_features_in_")
    if expected is not None and int(expected) != len(card.features):
        raise ModelLoadError(f"the model expects {int(expected)} features but the card lists {len(card.features)}")
    return FeatureSchema(specs=tuple(card.features), as_dataframe=False)


def inspect_schema(estimator: Any, card: ModelCard | None, notes: list[str]) -> ModelSchema:
    """Raises ``ModelLoadError`` when the estimator is no fitted classifier or its columns are unknown."""
    classes = _classes(estimator)
    features = _feature_schema(estimator, card, notes)
    positive_index, positive_source = resolve_positive_index(
        classes, card.positive_class if card else None, bool(card and card.has_positive_class)
    )
    if card and card.has_positive_class and positive_source != "card":
        notes.append(f"card positive_class {card.positive_class!r} is not one of {classes.tolist()}")
    baselines, baseline_sources = resolve_baselines(estimator, features)
    return ModelSchema(features, classes, positive_index, positive_source, baselines, baseline_sources)
