"""Hybrids: a linear base, boosting on its in-sample residuals, so the trees only model what the line
cannot."""

from __future__ import annotations

from typing import ClassVar, Self

import numpy as np

from pipelines.models.base import Capabilities
from pipelines.models.boosting import BoostingForecaster, CatBoostModel, LightGBMModel, XGBoostModel
from pipelines.models.linear import RidgeModel

HYBRID_BASE = RidgeModel.name


class HybridForecaster:
    name: ClassVar[str]
    # The linear base is scaled inside its Pipeline; the trees on its residuals are not.
    capabilities: ClassVar[Capabilities]
    booster: ClassVar[type[BoostingForecaster]]

    def __init__(self, seed: int = 0, early_stopping: bool = True) -> None:
        self.base = RidgeModel(seed)
        self.boost = self.booster(seed, early_stopping)
        self._share = (0.5, 0.5)

    @property
    def best_iteration(self) -> int | None:
        return self.boost.best_iteration

    def fit(self, X: np.ndarray, y: np.ndarray, purge: int = 0) -> Self:
        self.base.fit(X, y)
        base_pred = self.base.predict(X)
        self.boost.fit(X, y - base_pred, purge)
        s_lin, s_boost = float(np.std(base_pred)), float(np.std(self.boost.predict(X)))
        total = s_lin + s_boost
        self._share = (s_lin / total, s_boost / total) if total > 0 else (0.5, 0.5)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        prediction: np.ndarray = self.base.predict(X) + self.boost.predict(X)
        return prediction

    def importance(self) -> np.ndarray:
        # Each part's normalised importance, weighted by how much that part moves the prediction.
        def norm(v: np.ndarray) -> np.ndarray:
            s = v.sum()
            return v / s if s > 0 else v

        weights: np.ndarray = self._share[0] * norm(self.base.importance()) + self._share[1] * norm(
            self.boost.importance()
        )
        return weights


class HybridXGBoostModel(HybridForecaster):
    name = "hybrid_xgboost"
    booster = XGBoostModel
    capabilities = Capabilities("hybrid", True, True, relative_cost=3)


class HybridLightGBMModel(HybridForecaster):
    name = "hybrid_lightgbm"
    booster = LightGBMModel
    capabilities = Capabilities("hybrid", True, True, relative_cost=2)


class HybridCatBoostModel(HybridForecaster):
    name = "hybrid_catboost"
    booster = CatBoostModel
    capabilities = Capabilities("hybrid", True, True, relative_cost=4)
