"""The model-serving service the API calls: predictions, explanations and what-if scenarios.

``load_engine(MODEL_PATH)`` is called once at start-up and never raises: a missing, unreadable or
unusable model file gives a *mock* engine (score 0.5, version "mock") and a logged warning, so the
API stays up and readiness can report "degraded". In production (``allow_mock=False``) such an engine
is *unavailable* instead: predict and what-if raise ``ModelUnavailableError`` (503), never a fixed 0.5.
A served model is scored through its runtime (app/ml/runtime): the estimator in one dedicated thread
until a compiled, verified ONNX graph takes over.

Result contract: ``score`` is the probability of passing, rounded to 6 decimals, and ``label`` is
the card's positive label ("Aprobar" by default) exactly when that rounded score is >= 0.5. The
label never comes from ``model.predict``, whose threshold may differ.

In mock mode the accepted features are the card's (with its defaults and bounds) when a card sits
beside the missing model; otherwise any finite numeric feature is accepted, since there is nothing
to validate names against. What-if in mock mode simulates the spec's ±0.02: the baseline is 0.5 and
the scenario is 0.5 + 0.02 * sign(sum of deltas).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.core.metrics import MODEL_SCORE_SECONDS
from app.ml.card import DEFAULT_NEGATIVE_LABEL, DEFAULT_POSITIVE_LABEL, ModelCard
from app.ml.explain import impacts_from_scores, perturbation_rows
from app.ml.featurizer import (
    FeatureSchema,
    FeatureValidationError,
    FieldError,
    apply_deltas,
    validate_deltas,
    validate_features,
)
from app.ml.model_loader import LoadedModel, ModelLoadError, file_sha256, load_model, read_card_for
from app.ml.runtime.runtime import CompileOptions, ModelRuntime
from app.ml.runtime.verify import SERVED_DECIMALS

__all__ = [
    "FeatureImpact",
    "FeatureValidationError",
    "FieldError",
    "InferenceError",
    "ModelEngine",
    "ModelUnavailableError",
    "PredictionResult",
    "WhatIfResult",
    "clear_engine_cache",
    "load_engine",
]

logger = logging.getLogger(__name__)

PASS_THRESHOLD = 0.5
MOCK_SCORE = 0.5
MOCK_WHATIF_STEP = 0.02
MOCK_VERSION = "mock"
SCORE_DECIMALS = SERVED_DECIMALS


class InferenceError(RuntimeError):
    """The loaded model failed on valid input (a server-side fault, not the client's)."""


class ModelUnavailableError(RuntimeError):
    """No model can be served and a mock is not allowed (production): the API answers 503."""


@dataclass(frozen=True)
class FeatureImpact:
    feature: str
    impact: float


@dataclass(frozen=True)
class PredictionResult:
    label: str
    score: float
    explain: list[FeatureImpact]
    version: str
    features: dict[str, float | str]


@dataclass(frozen=True)
class WhatIfResult:
    prediction: PredictionResult
    baseline: PredictionResult
    applied_deltas: dict[str, float]


class ModelEngine:
    """Serves one model file, or a mock when that file cannot be served."""

    def __init__(
        self,
        path: Path,
        loaded: LoadedModel | None,
        reason: str | None = None,
        mock_card: ModelCard | None = None,
        options: CompileOptions | None = None,
        allow_mock: bool = True,
    ):
        self.path = path
        self._loaded = loaded
        self.reason = reason
        self.loaded_at = datetime.now(UTC)
        self.is_mock = loaded is None
        # Production refuses to answer students with a fixed 0.5: no model means 503.
        self.unavailable = loaded is None and not allow_mock
        self.runtime = ModelRuntime(loaded, options) if loaded is not None else None
        self.file_sha256 = loaded.file_sha256 if loaded is not None else None
        if loaded is not None:
            self.version = loaded.version
            self.schema = loaded.schema
            self._positive_label, self._negative_label = loaded.positive_label, loaded.negative_label
        else:
            self.version = MOCK_VERSION
            self.schema = (
                FeatureSchema(specs=mock_card.features, as_dataframe=False)
                if mock_card and mock_card.features
                else FeatureSchema(specs=(), open_ended=True, as_dataframe=False)
            )
            self._positive_label = mock_card.positive_label if mock_card else DEFAULT_POSITIVE_LABEL
            self._negative_label = mock_card.negative_label if mock_card else DEFAULT_NEGATIVE_LABEL
        self.feature_names: list[str] = self.schema.names

    # -- public API ---------------------------------------------------------------------------

    def status(self, public: bool = False) -> dict[str, Any]:
        """What readiness and the logs show; cheap enough to call per request. ``public`` leaves file
        system paths out (readiness and GET /model are served to clients)."""
        if public:
            shown = self.status()
            path = shown.pop("path")
            for key in ("reason", "card"):
                if isinstance(shown.get(key), str):
                    shown[key] = shown[key].replace(path, Path(path).name)
            if shown.get("card"):
                shown["card"] = Path(shown["card"]).name
            return shown
        status: dict[str, Any] = {
            "mode": "unavailable" if self.unavailable else "mock" if self.is_mock else "real",
            "version": self.version,
            "path": str(self.path),
            "reason": self.reason,
            "features": list(self.feature_names),
            "labels": {"positive": self._positive_label, "negative": self._negative_label},
        }
        if self._loaded is not None:
            loaded = self._loaded
            status.update(
                estimator=type(loaded.estimator).__name__,
                scoring_method=loaded.scorer.method,
                serving=self.runtime.path.as_dict() if self.runtime else None,
                positive_class=_jsonable(loaded.scorer.positive_class),
                positive_class_source=loaded.positive_class_source,
                card=str(loaded.card.path) if loaded.card else None,
                baselines={
                    name: {
                        "value": value if isinstance(value, str) else float(value),
                        "source": loaded.baseline_sources[name],
                    }
                    for name, value in zip(self.feature_names, loaded.baselines)
                },
                warnings=list(loaded.warnings),
            )
        return status

    def start(self) -> None:
        """Starts compiling the model in the background (the reference scorer serves meanwhile)."""
        if self.runtime is not None:
            self.runtime.start()

    def predict(self, features: Mapping[str, Any]) -> PredictionResult:
        """Synchronous: scores in the calling thread (CLI, tests). The API awaits :meth:`apredict`."""
        resolved, block = self._predict_block(features)
        if block is None:
            return self._mock_result(resolved, MOCK_SCORE)
        return self._result(resolved, self._checked(self._score(block)))

    async def apredict(self, features: Mapping[str, Any]) -> PredictionResult:
        resolved, block = self._predict_block(features)
        if block is None:
            return self._mock_result(resolved, MOCK_SCORE)
        return self._result(resolved, self._checked(await self._ascore(block)))

    async def apredict_many(self, items: Sequence[Mapping[str, Any]]) -> list[PredictionResult]:
        """Every item checked first (one 422 naming each bad item by index), then every row of every
        item's explanation scored in a single model call."""
        self._require_model()
        resolved_items, errors = [], []
        for index, features in enumerate(items):
            try:
                resolved_items.append(validate_features(features, self.schema))
            except FeatureValidationError as exc:
                errors += [replace(e, field=f"items.{index}.{e.field}") for e in exc.errors]
        if errors:
            raise FeatureValidationError(errors)
        if self._loaded is None:
            return [self._mock_result(resolved, MOCK_SCORE) for resolved in resolved_items]
        blocks = [self._explanation_block(resolved) for resolved in resolved_items]
        scores = self._checked(await self._ascore(np.vstack(blocks)))
        size = len(blocks[0])
        return [self._result(resolved, scores[n * size : (n + 1) * size]) for n, resolved in enumerate(resolved_items)]

    def whatif(self, features: Mapping[str, Any], deltas: Mapping[str, Any]) -> WhatIfResult:
        resolved, shifted, applied, block = self._whatif_block(features, deltas)
        if block is None:
            return self._mock_whatif(resolved, shifted, applied)
        return self._whatif_result(resolved, shifted, applied, self._checked(self._score(block)))

    async def awhatif(self, features: Mapping[str, Any], deltas: Mapping[str, Any]) -> WhatIfResult:
        resolved, shifted, applied, block = self._whatif_block(features, deltas)
        if block is None:
            return self._mock_whatif(resolved, shifted, applied)
        return self._whatif_result(resolved, shifted, applied, self._checked(await self._ascore(block)))

    # -- internals ----------------------------------------------------------------------------

    def _require_model(self) -> None:
        if self.unavailable:
            raise ModelUnavailableError(f"no model can be served: {self.reason}")

    def _predict_block(self, features: Mapping[str, Any]) -> tuple[dict[str, float | str], np.ndarray | None]:
        self._require_model()
        resolved = validate_features(features, self.schema)
        return resolved, (self._explanation_block(resolved) if self._loaded is not None else None)

    def _whatif_block(
        self, features: Mapping[str, Any], deltas: Mapping[str, Any]
    ) -> tuple[dict[str, float | str], dict[str, float | str], dict[str, float], np.ndarray | None]:
        self._require_model()
        resolved = validate_features(features, self.schema)
        applied = validate_deltas(deltas, resolved, self.schema)
        shifted = apply_deltas(resolved, applied)
        if self._loaded is None:
            return resolved, shifted, applied, None
        # Baseline and scenario, each with its explanation rows, in a single model call.
        return (
            resolved,
            shifted,
            applied,
            np.vstack([self._explanation_block(resolved), self._explanation_block(shifted)]),
        )

    def _whatif_result(
        self,
        resolved: dict[str, float | str],
        shifted: dict[str, float | str],
        applied: dict[str, float],
        scores: np.ndarray,
    ) -> WhatIfResult:
        split = len(resolved) + 1
        return WhatIfResult(
            prediction=self._result(shifted, scores[split:]),
            baseline=self._result(resolved, scores[:split]),
            applied_deltas=applied,
        )

    def _mock_whatif(
        self, resolved: dict[str, float | str], shifted: dict[str, float | str], applied: dict[str, float]
    ) -> WhatIfResult:
        direction = float(np.sign(sum(applied.values()))) if applied else 0.0
        scenario_score = min(1.0, max(0.0, MOCK_SCORE + MOCK_WHATIF_STEP * direction))
        return WhatIfResult(
            prediction=self._mock_result(shifted, scenario_score),
            baseline=self._mock_result(resolved, MOCK_SCORE),
            applied_deltas=applied,
        )

    def _explanation_block(self, resolved: dict[str, float | str]) -> np.ndarray:
        assert self._loaded is not None  # called only when a model is loaded
        row: np.ndarray = np.array(list(resolved.values()), dtype=self.schema.row_dtype)
        return perturbation_rows(row, self._loaded.baselines)

    def _score(self, block: np.ndarray) -> np.ndarray:
        try:
            assert self.runtime is not None  # a loaded model always has a runtime; None fails as the model
            return self.runtime.scores(block)
        except Exception as exc:  # noqa: BLE001 - surface any model failure as one error type
            raise InferenceError(f"model {self.version} failed to score: {type(exc).__name__}: {exc}") from exc

    async def _ascore(self, block: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        try:
            assert self.runtime is not None  # a loaded model always has a runtime; None fails as the model
            scores = await self.runtime.ascores(block)
            MODEL_SCORE_SECONDS.labels(self.runtime.path.kind).observe(time.perf_counter() - started)
            return scores
        except Exception as exc:  # noqa: BLE001 - surface any model failure as one error type
            raise InferenceError(f"model {self.version} failed to score: {type(exc).__name__}: {exc}") from exc

    def _checked(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64)
        if not np.all(np.isfinite(scores)):
            raise InferenceError(f"model {self.version} returned a non-finite score")
        clipped: np.ndarray = np.clip(scores, 0.0, 1.0)
        return clipped

    def _label(self, score: float) -> str:
        return self._positive_label if score >= PASS_THRESHOLD else self._negative_label

    def _result(self, resolved: dict[str, float | str], scores: np.ndarray) -> PredictionResult:
        score = round(float(scores[0]), SCORE_DECIMALS)
        impacts = impacts_from_scores(scores, self.feature_names)
        return PredictionResult(
            label=self._label(score),
            score=score,
            explain=[FeatureImpact(name, round(impact, SCORE_DECIMALS)) for name, impact in impacts],
            version=self.version,
            features=dict(resolved),
        )

    def _mock_result(self, resolved: dict[str, float | str], score: float) -> PredictionResult:
        score = round(score, SCORE_DECIMALS)
        return PredictionResult(
            label=self._label(score),
            score=score,
            # The mock score does not depend on any feature, so every impact is honestly zero.
            explain=[FeatureImpact(name, 0.0) for name in resolved],
            version=self.version,
            features=dict(resolved),
        )


def _jsonable(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _mock_engine(path: Path, reason: str, allow_mock: bool = True) -> ModelEngine:
    notes: list[str] = []
    try:
        sha = file_sha256(path) if path.is_file() else None
    except OSError:
        sha = None
    card = read_card_for(path, sha, notes)
    if allow_mock:
        logger.warning("model serving in MOCK mode (score fixed at %.1f): %s", MOCK_SCORE, reason)
    else:
        logger.error("no model can be served; predict and what-if answer 503: %s", reason)
    for note in notes:
        logger.warning("model %s: %s", path.name, note)
    return ModelEngine(path, None, reason=reason, mock_card=card, allow_mock=allow_mock)


def build_engine(model_path: Path, options: CompileOptions | None = None, allow_mock: bool = True) -> ModelEngine:
    """Uncached: loads the model at ``model_path`` or falls back to a mock (or unavailable) engine."""
    try:
        loaded = load_model(model_path)
    except ModelLoadError as exc:
        return _mock_engine(model_path, exc.reason, allow_mock)
    except Exception as exc:  # noqa: BLE001 - start-up must survive any broken model file
        return _mock_engine(model_path, f"unexpected error loading the model: {type(exc).__name__}: {exc}", allow_mock)
    logger.info(
        "model loaded: version=%s estimator=%s scoring=%s positive_class=%r (%s) features=%s",
        loaded.version,
        type(loaded.estimator).__name__,
        loaded.scorer.method,
        loaded.scorer.positive_class,
        loaded.positive_class_source,
        loaded.schema.names,
    )
    return ModelEngine(model_path, loaded, options=options)


_ENGINES: dict[tuple[Path, CompileOptions | None, bool], ModelEngine] = {}
_ENGINES_LOCK = threading.Lock()


def load_engine(model_path: Path | str, options: CompileOptions | None = None, allow_mock: bool = True) -> ModelEngine:
    """The process-wide engine for ``model_path`` (loaded once per resolved path); never raises."""
    try:
        path = Path(model_path).expanduser().resolve()
    except (OSError, RuntimeError, TypeError, ValueError) as exc:
        return _mock_engine(Path(str(model_path)), f"invalid model path: {exc}", allow_mock)
    key = (path, options, allow_mock)
    engine = _ENGINES.get(key)
    if engine is not None:
        return engine
    with _ENGINES_LOCK:
        # Double-checked: another thread may have loaded it while we waited for the lock.
        engine = _ENGINES.get(key)
        if engine is None:
            engine = build_engine(path, options, allow_mock)
            _ENGINES[key] = engine
        return engine


def clear_engine_cache() -> None:
    """Forgets loaded engines (tests, or a deliberate reload after replacing the model file)."""
    with _ENGINES_LOCK:
        _ENGINES.clear()
