"""Loads ``MODEL_PATH`` in a straight line: read -> inspect schema -> build scorer -> verify.

Each step is a function in its own module, and none of them calls back here:

1. read (app/ml/model_file.py): hash and unpickle the file, read the model card beside it;
2. inspect schema (app/ml/model_schema.py): the classes and the positive one, the feature columns in
   the model's order, categorical levels, the explanation baselines;
3. build scorer (app/ml/scoring.py): the first scoring method that survives a smoke prediction;
4. verify (app/ml/runtime): the reference scorer serves at once; a compiled graph (ONNX, else
   Treelite) serves only once it has been verified against it.

A step that finds the file cannot be served raises ``ModelLoadError`` with a human-readable reason;
the inference service turns that into mock mode. The process-wide engine lives in
``app.services.engine_loading.load_engine``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.ml.card import DEFAULT_NEGATIVE_LABEL, DEFAULT_POSITIVE_LABEL, ModelCard
from app.ml.errors import ModelLoadError
from app.ml.featurizer import FeatureSchema
from app.ml.model_file import ModelFile, read_model_file
from app.ml.model_schema import ModelSchema, inspect_schema
from app.ml.runtime.runtime import CompileOptions, ModelRuntime
from app.ml.scoring import Scorer, build_scorer

__all__ = ["LoadedModel", "ModelLoadError", "load_model"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    file: ModelFile
    inspected: ModelSchema
    scorer: Scorer
    runtime: ModelRuntime
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def estimator(self) -> Any:
        return self.file.estimator

    @property
    def file_sha256(self) -> str:
        return self.file.sha256

    @property
    def card(self) -> ModelCard | None:
        return self.file.card

    @property
    def version(self) -> str:
        card = self.file.card
        return card.version if card and card.version else f"model-{self.file.sha256[:12]}"

    @property
    def positive_label(self) -> str:
        return self.file.card.positive_label if self.file.card else DEFAULT_POSITIVE_LABEL

    @property
    def negative_label(self) -> str:
        return self.file.card.negative_label if self.file.card else DEFAULT_NEGATIVE_LABEL

    @property
    def schema(self) -> FeatureSchema:
        return self.inspected.features

    @property
    def baselines(self) -> np.ndarray:
        return self.inspected.baselines


def load_model(path: Path, options: CompileOptions | None = None) -> LoadedModel:
    """Loads a pickled classifier; raises ``ModelLoadError`` when it cannot be served."""
    notes: list[str] = []
    try:
        model_file = read_model_file(path, notes)
        schema = inspect_schema(model_file.estimator, model_file.card, notes)
        scorer = build_scorer(model_file.estimator, schema, notes)
    finally:
        # Logged on success and on failure: a version-mismatch note often explains the failure.
        for note in notes:
            logger.warning("model %s: %s", path.name, note)
    runtime = ModelRuntime(model_file, schema, scorer, options)
    return LoadedModel(model_file, schema, scorer, runtime, warnings=tuple(notes))
