"""Linear models, each inside an sklearn Pipeline with its scaler, so the scaler learns from the training
window only."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
from sklearn.linear_model import BayesianRidge, HuberRegressor, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from pipelines.models.base import RIDGE_ALPHA, Capabilities


class LinearForecaster:
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities("linear", True, False, relative_cost=0)
    # The target is multiplied by this before fitting and the forecast divided by it.
    target_scale: ClassVar[float] = 1.0
    best_iteration: int | None = None

    def __init__(self, seed: int = 0, early_stopping: bool = True) -> None:
        # Deterministic estimators: the seed and early stopping do not apply.
        self.pipe = Pipeline([("scale", StandardScaler()), ("model", self._estimator())])
        self._std: np.ndarray | None = None

    def _estimator(self) -> Any:
        raise NotImplementedError

    def fit(self, X: np.ndarray, y: np.ndarray, purge: int = 0) -> Self:
        self.pipe.fit(X, y * self.target_scale if self.target_scale != 1.0 else y)
        self._std = X.std(axis=0)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        p: np.ndarray = self.pipe.predict(X)  # scikit-learn is untyped
        return p / self.target_scale if self.target_scale != 1.0 else p

    def importance(self) -> np.ndarray:
        # |coef| x feature std: coefficients of the scaled model are already per-std effects.
        scale = self.pipe.named_steps["scale"].scale_
        coef_raw = self.pipe.named_steps["model"].coef_ / np.where(scale == 0, 1, scale)
        weights: np.ndarray = np.abs(coef_raw) * self._std
        return weights


class RidgeModel(LinearForecaster):
    name = "ridge"

    def _estimator(self) -> Any:
        return Ridge(alpha=RIDGE_ALPHA)


class BayesianRidgeModel(LinearForecaster):
    name = "bayesian_ridge"

    def _estimator(self) -> Any:
        return BayesianRidge()


class HuberModel(LinearForecaster):
    """Huber down-weights the fat-tailed days (crashes) that dominate squared loss on returns."""

    name = "huber"
    capabilities = Capabilities("linear", True, False, relative_cost=1)
    # Huber's threshold is relative to the residual scale it estimates; a target of ~1e-2 makes its
    # optimiser stall, so it fits in percent.
    target_scale = 100.0

    def _estimator(self) -> Any:
        return HuberRegressor(epsilon=1.35, alpha=1e-3, max_iter=500)
