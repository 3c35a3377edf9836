"""Reads ``MODEL_PATH`` with joblib and works out how to serve whatever classifier it holds.

``load_model`` does the slow, fallible work once (unpickle, hash, read the card, resolve the
feature order, the positive class, the scoring method and the explanation baselines, then one
smoke prediction). It raises ``ModelLoadError`` with a human-readable reason; the inference
service turns that into mock mode. The process-wide singleton lives in
``app.services.inference.load_engine``.

joblib/pickle executes code from the file: ``MODEL_PATH`` must point at a file the operators
trust, never at an upload.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

from app.ml.card import CardError, ModelCard, find_card, load_card
from app.ml.categorical import categorical_columns
from app.ml.explain import perturbation_rows, resolve_baselines
from app.ml.featurizer import FeatureSchema, FeatureSpec, build_model_input
from app.ml.scoring import Scorer, available_methods, build_scorer, resolve_positive_index

logger = logging.getLogger(__name__)


class ModelLoadError(Exception):
    """The model cannot be served; ``reason`` is shown in the engine status."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LoadedModel:
    path: Path
    estimator: Any
    version: str
    file_sha256: str
    schema: FeatureSchema
    scorer: Scorer
    baselines: np.ndarray
    baseline_sources: dict[str, str]
    positive_label: str
    negative_label: str
    positive_class_source: str
    card: ModelCard | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_card_for(model_path: Path, model_sha: str | None, notes: list[str]) -> ModelCard | None:
    """The card beside the model, or None (with a note) when it is absent, broken or stale."""
    card_path = find_card(model_path)
    if card_path is None:
        return None
    try:
        card = load_card(card_path)
    except CardError as exc:
        notes.append(f"model card ignored: {exc}")
        return None
    if card.model_sha256 and model_sha and card.model_sha256 != model_sha:
        notes.append(f"model card {card_path.name} ignored: it describes another model file (sha256 mismatch)")
        return None
    return card


def _unpickle(path: Path, notes: list[str]) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator = joblib.load(path)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means "cannot serve"
            raise ModelLoadError(f"cannot unpickle {path.name}: {type(exc).__name__}: {exc}") from exc
    for warning in caught:
        if "Version" in type(warning.message).__name__ or "version" in str(warning.message):
            notes.append(f"pickled with another scikit-learn than {sklearn.__version__}: {warning.message}")
    return estimator


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


def _smoke_scores(scorer: Scorer, schema: FeatureSchema, baselines: np.ndarray) -> np.ndarray:
    block = perturbation_rows(baselines.copy(), baselines)
    with sklearn.config_context(assume_finite=True):
        scores = scorer.scores(build_model_input(block, schema))
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (block.shape[0],) or not np.all(np.isfinite(scores)):
        raise ValueError(f"scores have shape {scores.shape} or are not finite")
    if np.any(scores < 0.0) or np.any(scores > 1.0):
        raise ValueError("scores fall outside [0, 1]")
    return scores


def _choose_scorer(
    estimator: Any,
    classes: np.ndarray,
    positive_index: int,
    schema: FeatureSchema,
    baselines: np.ndarray,
    notes: list[str],
) -> Scorer:
    """First scoring method that survives a smoke prediction; failures are noted, not fatal."""
    methods = available_methods(estimator)
    if not methods:
        raise ModelLoadError(f"{type(estimator).__name__} has no predict/predict_proba: not a classifier")
    last_error: Exception | None = None
    for method in methods:
        scorer = build_scorer(estimator, classes, method, positive_index)
        try:
            _smoke_scores(scorer, schema, baselines)
        except Exception as exc:  # noqa: BLE001 - a third-party model may fail in any way
            notes.append(f"{method} failed a smoke prediction: {type(exc).__name__}: {exc}")
            last_error = exc
            continue
        return scorer
    raise ModelLoadError(f"the model failed a smoke prediction: {type(last_error).__name__}: {last_error}")


def _safe_attribute(estimator: Any, name: str) -> Any:
    """``getattr`` that also survives properties raising NotFittedError or anything else."""
    try:
        return getattr(estimator, name, None)
    except Exception:  # noqa: BLE001 - a broken attribute just means "not available"
        return None


def load_model(path: Path) -> LoadedModel:
    """Loads and inspects a pickled classifier; raises ``ModelLoadError`` when it cannot be served."""
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    notes: list[str] = []
    try:
        return _inspect_model(path, notes)
    finally:
        # Logged on success and on failure: a version-mismatch note often explains the failure.
        for note in notes:
            logger.warning("model %s: %s", path.name, note)


def _inspect_model(path: Path, notes: list[str]) -> LoadedModel:
    try:
        sha = file_sha256(path)
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}") from exc
    estimator = _unpickle(path, notes)
    card = read_card_for(path, sha, notes)

    classes = _safe_attribute(estimator, "classes_")
    if classes is None or _safe_attribute(estimator, "predict") is None:
        raise ModelLoadError(f"{type(estimator).__name__} is not a fitted classifier (no classes_/predict)")
    classes = np.asarray(classes)
    if classes.ndim != 1 or len(classes) < 2:
        raise ModelLoadError(f"the classifier must know at least two classes, it has {classes.tolist()}")

    schema = _feature_schema(estimator, card, notes)
    positive_index, positive_source = resolve_positive_index(
        classes, card.positive_class if card else None, bool(card and card.has_positive_class)
    )
    if card and card.has_positive_class and positive_source != "card":
        notes.append(f"card positive_class {card.positive_class!r} is not one of {classes.tolist()}")
    baselines, baseline_sources = resolve_baselines(estimator, schema)
    scorer = _choose_scorer(estimator, classes, positive_index, schema, baselines, notes)
    return LoadedModel(
        path=path,
        estimator=estimator,
        version=card.version if card and card.version else f"model-{sha[:12]}",
        file_sha256=sha,
        schema=schema,
        scorer=scorer,
        baselines=baselines,
        baseline_sources=baseline_sources,
        positive_label=card.positive_label if card else "Aprobar",
        negative_label=card.negative_label if card else "Desaprobar",
        positive_class_source=positive_source,
        card=card,
        warnings=tuple(notes),
    )
