"""The nine models behind one small interface: ``fit(X, y, purge)``, ``predict(X)``, ``importance()``.

Linear models live inside an sklearn Pipeline with their scaler, so the scaler learns from the training
window only. Boosting models use early stopping on a time-ordered tail of the training window, purged
from the rows they train on by ``purge`` rows (the horizon), so the stopping signal never sees the test
window or overlaps the fitting targets. Every estimator is pinned to one thread: parallelism comes from
running model x horizon tasks in separate processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
from sklearn.linear_model import BayesianRidge, HuberRegressor, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from runcontract.models import ModelType

LINEAR = ("ridge", "bayesian_ridge", "huber")
BOOSTING = ("xgboost", "lightgbm", "catboost")
HYBRID = tuple(f"hybrid_{b}" for b in BOOSTING)
MODEL_NAMES = LINEAR + BOOSTING + HYBRID


# Small and fast on purpose: on daily returns deeper/longer boosting only fits noise, and the default run
# must finish in minutes on two cores.
class BoostParams(TypedDict):
    n_estimators: int
    learning_rate: float
    max_depth: int
    subsample: float
    colsample: float
    min_leaf: int
    early_stopping_rounds: int
    validation_fraction: float


BOOST_PARAMS: BoostParams = {
    "n_estimators": 300,
    "learning_rate": 0.05,
    "max_depth": 3,
    "subsample": 0.8,
    "colsample": 0.8,
    "min_leaf": 50,
    "early_stopping_rounds": 30,
    "validation_fraction": 0.15,
}
RIDGE_ALPHA = 10.0
HYBRID_BASE = "ridge"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    model_type: ModelType
    requires_scaling: bool
    supports_early_stopping: bool


def model_info(name: str) -> ModelInfo:
    if name in LINEAR:
        return ModelInfo(name, "linear", True, False)
    if name in BOOSTING:
        return ModelInfo(name, "boosting", False, True)
    if name in HYBRID:
        # The linear base is scaled inside its Pipeline; the trees on its residuals are not.
        return ModelInfo(name, "hybrid", True, True)
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")


def _linear(name: str, seed: int) -> Pipeline:
    if name == "ridge":
        est = Ridge(alpha=RIDGE_ALPHA)
    elif name == "bayesian_ridge":
        est = BayesianRidge()
    else:
        # Huber down-weights the fat-tailed days (crashes) that dominate squared loss on returns.
        est = HuberRegressor(epsilon=1.35, alpha=1e-3, max_iter=500)
    return Pipeline([("scale", StandardScaler()), ("model", est)])


class LinearModel:
    def __init__(self, name: str, seed: int = 0):
        self.name = name
        self.pipe = _linear(name, seed)
        self._std: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: np.ndarray, purge: int = 0) -> LinearModel:
        if self.name == "huber":
            # Huber's threshold is relative to the residual scale it estimates; a target of ~1e-2 makes
            # its optimiser stall, so fit in percent and scale back in predict.
            self.pipe.fit(X, y * 100.0)
        else:
            self.pipe.fit(X, y)
        self._std = X.std(axis=0)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        p: np.ndarray = self.pipe.predict(X)  # scikit-learn is untyped
        return p / 100.0 if self.name == "huber" else p

    def importance(self) -> np.ndarray:
        # |coef| x feature std: coefficients of the scaled model are already per-std effects.
        scale = self.pipe.named_steps["scale"].scale_
        coef_raw = self.pipe.named_steps["model"].coef_ / np.where(scale == 0, 1, scale)
        weights: np.ndarray = np.abs(coef_raw) * self._std
        return weights


def _split_tail(n: int, purge: int) -> tuple[slice, slice] | None:
    n_val = int(n * BOOST_PARAMS["validation_fraction"])
    n_fit = n - n_val - purge
    if n_val < 30 or n_fit < 100:
        return None
    return slice(0, n_fit), slice(n - n_val, n)


class BoostingModel:
    def __init__(self, kind: str, seed: int = 0):
        self.kind = kind
        self.seed = seed
        # An XGBoost, LightGBM or CatBoost regressor (CatBoost ships no types), chosen by kind.
        self.model: Any = None
        self.best_iteration: int | None = None

    def _make(self, early: bool) -> Any:
        p = BOOST_PARAMS
        es = p["early_stopping_rounds"] if early else None
        if self.kind == "xgboost":
            from xgboost import XGBRegressor

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
                early_stopping_rounds=es,
                importance_type="gain",
            )
        if self.kind == "lightgbm":
            from lightgbm import LGBMRegressor

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
        from catboost import CatBoostRegressor

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

    def fit(self, X: np.ndarray, y: np.ndarray, purge: int = 0) -> BoostingModel:
        split = _split_tail(len(y), purge)
        es_rounds = BOOST_PARAMS["early_stopping_rounds"]
        self.model = self._make(split is not None)
        if split is None:  # window too short to spare a validation tail: fixed number of trees
            self.model.fit(X, y)
            return self
        fit_s, val_s = split
        Xf, yf, Xv, yv = X[fit_s], y[fit_s], X[val_s], y[val_s]
        if self.kind == "xgboost":
            self.model.fit(Xf, yf, eval_set=[(Xv, yv)], verbose=False)
            self.best_iteration = int(self.model.best_iteration) + 1
        elif self.kind == "lightgbm":
            import lightgbm as lgb

            self.model.fit(Xf, yf, eval_X=(Xv,), eval_y=(yv,), callbacks=[lgb.early_stopping(es_rounds, verbose=False)])
            self.best_iteration = int(self.model.best_iteration_ or BOOST_PARAMS["n_estimators"])
        else:
            self.model.fit(Xf, yf, eval_set=(Xv, yv), early_stopping_rounds=es_rounds, use_best_model=True)
            self.best_iteration = int(self.model.get_best_iteration()) + 1
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(X), dtype=float)

    def importance(self) -> np.ndarray:
        if self.kind == "catboost":
            return np.asarray(self.model.get_feature_importance(), dtype=float)
        return np.asarray(self.model.feature_importances_, dtype=float)


class HybridModel:
    """Linear base, boosting on its in-sample residuals: trees only model what the line cannot."""

    def __init__(self, kind: str, seed: int = 0):
        self.base = LinearModel(HYBRID_BASE, seed)
        self.boost = BoostingModel(kind, seed)
        self._share = (0.5, 0.5)

    def fit(self, X: np.ndarray, y: np.ndarray, purge: int = 0) -> HybridModel:
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


def make_model(name: str, seed: int = 0) -> LinearModel | BoostingModel | HybridModel:
    info = model_info(name)
    if info.model_type == "linear":
        return LinearModel(name, seed)
    if info.model_type == "boosting":
        return BoostingModel(name, seed)
    return HybridModel(name.removeprefix("hybrid_"), seed)
