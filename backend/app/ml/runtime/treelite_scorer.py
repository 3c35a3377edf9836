"""Positive-class scores from Treelite's own tree inference (GTIL), fed float64.

The fallback for tree ensembles whose ONNX graph is not exact: HistGradientBoosting with categorical
splits is the known case (onnxruntime scores those splits wrong). Treelite imports the fitted trees
of scikit-learn's forests and boosting models and evaluates them in C++ on float64 input, which
matched ``predict_proba`` to ~1e-16 in our checks, and needs no C compiler at run time (unlike
tl2cgen), so the image stays as it is. The verifier still decides whether it serves.

Only the final estimator is imported; the pipeline steps before it (encoders, imputers, a
ColumnTransformer) keep running in scikit-learn, so such a scorer runs in the model thread rather
than on the event loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn

from app.ml.featurizer import FeatureSchema, build_model_input
from app.ml.runtime.onnx_compile import CompileError
from app.ml.steps import final_step

SUPPORTED = (
    "RandomForestClassifier",
    "ExtraTreesClassifier",
    "GradientBoostingClassifier",
    "HistGradientBoostingClassifier",
)


def _known_categories(final: Any) -> list[tuple[int, np.ndarray]]:
    """HistGradientBoosting's categorical columns and the levels it saw in training.

    scikit-learn scores a level it never saw (or a negative or fractional one) as missing; Treelite
    would send it down the "not in the split's set" branch instead. So unknown levels become NaN
    before the call. The levels live in the estimator's internal OrdinalEncoder (``_preprocessor``,
    scikit-learn >= 1.4); if that is not where we expect it, Treelite does not serve.
    """
    mask = getattr(final, "is_categorical_", None)
    if mask is None:
        return []
    try:
        categories = final._preprocessor.named_transformers_["encoder"].categories_
    except (AttributeError, KeyError) as exc:
        raise CompileError("cannot find HistGradientBoosting's known categories") from exc
    columns = np.flatnonzero(mask)
    if len(columns) != len(categories):
        raise CompileError("HistGradientBoosting's categories do not match its categorical columns")
    return [(int(c), np.asarray(levels, dtype=np.float64)) for c, levels in zip(columns, categories, strict=True)]


def _preprocessing(estimator: Any) -> Any | None:
    """The steps before the final estimator (a Pipeline slice), or None for a bare estimator."""
    steps = getattr(estimator, "steps", None)
    if not steps or len(steps) < 2:
        return None
    return estimator[:-1]


class TreeliteScorer:
    kind = "treelite"

    def __init__(self, estimator: Any, schema: FeatureSchema, positive_index: int):
        final = final_step(estimator)
        family = type(final).__name__
        if family not in SUPPORTED:
            raise CompileError(f"Treelite does not import {family}")
        if len(getattr(final, "classes_", [])) != 2:
            raise CompileError("Treelite serving covers binary classifiers only")
        try:
            import treelite
        except ImportError as exc:  # an install without it keeps the reference scorer
            raise CompileError("treelite is not installed") from exc
        try:
            self._model = treelite.sklearn.import_model(final)
        except Exception as exc:  # noqa: BLE001 - an unsupported tree just means "not compiled"
            raise CompileError(f"Treelite cannot import {family}: {type(exc).__name__}: {exc}") from exc
        self._predict = treelite.gtil.predict
        self._before = _preprocessing(estimator)
        self._categories = _known_categories(final)
        self._schema = schema
        self._positive_index = positive_index
        self.family = family
        self.precision = "double"
        # Without pipeline steps the call is C++ on a small array: cheap enough for the event loop.
        self.runs_inline = self._before is None

    def _model_input(self, rows: np.ndarray) -> np.ndarray:
        frame = build_model_input(rows, self._schema)
        if self._before is not None:
            with sklearn.config_context(assume_finite=True):
                frame = self._before.transform(frame)
        model_input = np.array(frame, dtype=np.float64)  # a copy: unknown levels are overwritten
        for column, levels in self._categories:
            model_input[~np.isin(model_input[:, column], levels), column] = np.nan
        return model_input

    def scores(self, rows: np.ndarray) -> np.ndarray:
        output = np.asarray(self._predict(self._model, self._model_input(rows), nthread=1), dtype=np.float64)
        output = output.reshape(len(rows), -1)
        if output.shape[1] == 1:  # boosting: one column, the probability of classes_[1]
            positive = output[:, 0]
            return positive if self._positive_index == 1 else 1.0 - positive
        return output[:, self._positive_index]
