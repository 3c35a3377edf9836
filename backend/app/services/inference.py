"""The model-serving service the API calls: predictions, explanations and what-if scenarios.

A ``ModelEngine`` serves one model file, loaded by app/services/engine_loading.py, or a *mock* when
that file cannot be served (score 0.5, version "mock"), so the API stays up and readiness can report
"degraded". In production (``allow_mock=False``) such an engine is *unavailable* instead: predict and
what-if raise ``ModelUnavailableError`` (503), never a fixed 0.5. A served model is scored through
its runtime (app/ml/runtime): the estimator in one dedicated thread until a compiled, verified ONNX
graph takes over. Scores become results in app/services/inference_results.py.

In mock mode the accepted features are the card's (with its defaults and bounds) when a card sits
beside the missing model; otherwise any finite numeric feature is accepted, since there is nothing
to validate names against.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.core.metrics import MODEL_SCORE_SECONDS
from app.ml.card import DEFAULT_NEGATIVE_LABEL, DEFAULT_POSITIVE_LABEL, ModelCard
from app.ml.explain import perturbation_rows
from app.ml.featurizer import (
    FeatureSchema,
    FeatureValidationError,
    FieldError,
    apply_deltas,
    validate_deltas,
    validate_features,
)
from app.ml.model_loader import LoadedModel
from app.services.inference_results import (
    Answers,
    FeatureImpact,
    Features,
    InferenceError,
    ModelUnavailableError,
    PredictionResult,
    WhatIfResult,
)

__all__ = [
    "FeatureImpact",
    "FeatureValidationError",
    "FieldError",
    "InferenceError",
    "ModelEngine",
    "ModelUnavailableError",
    "PredictionResult",
    "WhatIfResult",
]

MOCK_VERSION = "mock"


class ModelEngine:
    """Serves one model file, or a mock when that file cannot be served."""

    def __init__(
        self,
        path: Path,
        loaded: LoadedModel | None,
        reason: str | None = None,
        mock_card: ModelCard | None = None,
        allow_mock: bool = True,
    ):
        self.path = path
        self._loaded = loaded
        self.reason = reason
        self.loaded_at = datetime.now(UTC)
        self.is_mock = loaded is None
        # Production refuses to answer students with a fixed 0.5: no model means 503.
        self.unavailable = loaded is None and not allow_mock
        self.runtime = loaded.runtime if loaded is not None else None
        self.file_sha256 = loaded.file_sha256 if loaded is not None else None
        if loaded is not None:
            self.version = loaded.version
            self.schema = loaded.schema
            positive_label, negative_label = loaded.positive_label, loaded.negative_label
        else:
            self.version = MOCK_VERSION
            self.schema = (
                FeatureSchema(specs=mock_card.features, as_dataframe=False)
                if mock_card and mock_card.features
                else FeatureSchema(specs=(), open_ended=True, as_dataframe=False)
            )
            positive_label = mock_card.positive_label if mock_card else DEFAULT_POSITIVE_LABEL
            negative_label = mock_card.negative_label if mock_card else DEFAULT_NEGATIVE_LABEL
        self.feature_names: list[str] = self.schema.names
        self._answers = Answers(self.version, self.feature_names, positive_label, negative_label)

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
            "labels": {"positive": self._answers.positive_label, "negative": self._answers.negative_label},
        }
        if self._loaded is not None:
            loaded = self._loaded
            status.update(
                estimator=type(loaded.estimator).__name__,
                scoring_method=loaded.scorer.method,
                serving=self.runtime.path.as_dict() if self.runtime else None,
                positive_class=_jsonable(loaded.scorer.positive_class),
                positive_class_source=loaded.inspected.positive_class_source,
                card=str(loaded.card.path) if loaded.card else None,
                baselines={
                    name: {
                        "value": value if isinstance(value, str) else float(value),
                        "source": loaded.inspected.baseline_sources[name],
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
            return self._answers.mock(resolved)
        return self._answers.result(resolved, self._checked(self._score(block)))

    async def apredict(self, features: Mapping[str, Any]) -> PredictionResult:
        resolved, block = self._predict_block(features)
        if block is None:
            return self._answers.mock(resolved)
        return self._answers.result(resolved, self._checked(await self._ascore(block)))

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
            return [self._answers.mock(resolved) for resolved in resolved_items]
        blocks = [self._explanation_block(resolved) for resolved in resolved_items]
        scores = self._checked(await self._ascore(np.vstack(blocks)))
        size = len(blocks[0])
        return [
            self._answers.result(resolved, scores[n * size : (n + 1) * size])
            for n, resolved in enumerate(resolved_items)
        ]

    def whatif(self, features: Mapping[str, Any], deltas: Mapping[str, Any]) -> WhatIfResult:
        resolved, shifted, applied, block = self._whatif_block(features, deltas)
        if block is None:
            return self._answers.mock_whatif(resolved, shifted, applied)
        return self._answers.whatif(resolved, shifted, applied, self._checked(self._score(block)))

    async def awhatif(self, features: Mapping[str, Any], deltas: Mapping[str, Any]) -> WhatIfResult:
        resolved, shifted, applied, block = self._whatif_block(features, deltas)
        if block is None:
            return self._answers.mock_whatif(resolved, shifted, applied)
        return self._answers.whatif(resolved, shifted, applied, self._checked(await self._ascore(block)))

    # -- internals ----------------------------------------------------------------------------

    def _require_model(self) -> None:
        if self.unavailable:
            raise ModelUnavailableError(f"no model can be served: {self.reason}")

    def _predict_block(self, features: Mapping[str, Any]) -> tuple[Features, np.ndarray | None]:
        self._require_model()
        resolved = validate_features(features, self.schema)
        return resolved, (self._explanation_block(resolved) if self._loaded is not None else None)

    def _whatif_block(
        self, features: Mapping[str, Any], deltas: Mapping[str, Any]
    ) -> tuple[Features, Features, dict[str, float], np.ndarray | None]:
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

    def _explanation_block(self, resolved: Features) -> np.ndarray:
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


def _jsonable(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
