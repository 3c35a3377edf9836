"""Gradient-boosted trees: XGBoost, LightGBM and CatBoost, with the same parameters (BOOST_PARAMS).

Early stopping watches a time-ordered tail of the training window, purged from the rows the trees are
grown on by ``purge`` rows (the horizon), so the stopping signal never sees the test window or overlaps
the fitting targets. Each library is imported when its model is built, so a worker loads only what it
fits.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np

from pipelines.models.base import BOOST_PARAMS, Capabilities, validation_split


class BoostingForecaster:
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self, seed: int = 0, early_stopping: bool = True) -> None:
        self.seed = seed
        self.early_stopping = early_stopping
        # The library's regressor (CatBoost ships no types), built by fit.
        self.model: Any = None
        self.best_iteration: int | None = None

    def _estimator(self, early: bool) -> Any:
        """A fresh regressor; ``early``: it will be fitted with an early-stopping tail."""
        raise NotImplementedError

    def _fit_with_stopping(self, Xf: np.ndarray, yf: np.ndarray, Xv: np.ndarray, yv: np.ndarray) -> int:
        """Fit on (Xf, yf), stopping on (Xv, yv); returns the number of trees kept."""
        raise NotImplementedError

    def fit(self, X: np.ndarray, y: np.ndarray, purge: int = 0) -> Self:
        split = validation_split(len(y), purge) if self.early_stopping else None
        self.model = self._estimator(split is not None)
        if split is None:  # no early stopping, or a window too short to spare a tail: a fixed number of trees
            self.model.fit(X, y)
            return self
        fit_rows, val_rows = split
        self.best_iteration = self._fit_with_stopping(X[fit_rows], y[fit_rows], X[val_rows], y[val_rows])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(X), dtype=float)

    def importance(self) -> np.ndarray:
        return np.asarray(self.model.feature_importances_, dtype=float)


def _stopping_rounds(early: bool) -> int | None:
    return BOOST_PARAMS["early_stopping_rounds"] if early else None


class XGBoostModel(BoostingForecaster):
    name = "xgboost"
    capabilities = Capabilities("boosting", False, True, relative_cost=3)

    def _estimator(self, early: bool) -> Any:
        from xgboost import XGBRegressor

        p = BOOST_PARAMS
        return XGBRegressor(
            n_estimators=p["n_estimators"],
            learning_rate=p["learning_rate"],
            max_depth=p["max_depth"],
            subsample=p["subsample"],
            colsample_bytree=p["colsample"],
            min_child_weight=p["min_leaf"],
            tree_method="hist",
            n_jobs=1,
            random_state=self.seed,
            early_stopping_rounds=_stopping_rounds(early),
            importance_type="gain",
        )

    def _fit_with_stopping(self, Xf: np.ndarray, yf: np.ndarray, Xv: np.ndarray, yv: np.ndarray) -> int:
        self.model.fit(Xf, yf, eval_set=[(Xv, yv)], verbose=False)
        return int(self.model.best_iteration) + 1


class LightGBMModel(BoostingForecaster):
    name = "lightgbm"
    capabilities = Capabilities("boosting", False, True, relative_cost=2)

    def _estimator(self, early: bool) -> Any:
        from lightgbm import LGBMRegressor

        p = BOOST_PARAMS
        return LGBMRegressor(
            n_estimators=p["n_estimators"],
            learning_rate=p["learning_rate"],
            max_depth=p["max_depth"],
            num_leaves=2 ** p["max_depth"],
            subsample=p["subsample"],
            subsample_freq=1,
            colsample_bytree=p["colsample"],
            min_child_samples=p["min_leaf"],
            n_jobs=1,
            random_state=self.seed,
            importance_type="gain",
            verbose=-1,
        )

    def _fit_with_stopping(self, Xf: np.ndarray, yf: np.ndarray, Xv: np.ndarray, yv: np.ndarray) -> int:
        import lightgbm as lgb

        stop = lgb.early_stopping(BOOST_PARAMS["early_stopping_rounds"], verbose=False)
        self.model.fit(Xf, yf, eval_X=(Xv,), eval_y=(yv,), callbacks=[stop])
        return int(self.model.best_iteration_ or BOOST_PARAMS["n_estimators"])


class CatBoostModel(BoostingForecaster):
    name = "catboost"
    capabilities = Capabilities("boosting", False, True, relative_cost=5)

    def _estimator(self, early: bool) -> Any:
        from catboost import CatBoostRegressor

        p = BOOST_PARAMS
        return CatBoostRegressor(
            iterations=p["n_estimators"],
            learning_rate=p["learning_rate"],
            depth=p["max_depth"] + 1,
            rsm=p["colsample"],
            thread_count=1,
            random_seed=self.seed,
            verbose=False,
            allow_writing_files=False,
            min_data_in_leaf=p["min_leaf"],
        )

    def _fit_with_stopping(self, Xf: np.ndarray, yf: np.ndarray, Xv: np.ndarray, yv: np.ndarray) -> int:
        rounds = BOOST_PARAMS["early_stopping_rounds"]
        self.model.fit(Xf, yf, eval_set=(Xv, yv), early_stopping_rounds=rounds, use_best_model=True)
        return int(self.model.get_best_iteration()) + 1

    def importance(self) -> np.ndarray:
        return np.asarray(self.model.get_feature_importance(), dtype=float)
