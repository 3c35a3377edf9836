"""The nine models, chosen by name from a registry of small classes that share one protocol,
``Forecaster``: ``fit(X, y, purge)``, ``predict(X)``, ``importance()`` and ``capabilities``.

Linear models (linear.py) scale inside their own Pipeline; boosting models (boosting.py) stop early on a
purged tail of the training window; hybrids (hybrid.py) grow trees on a ridge's residuals. Every estimator
is pinned to one thread: parallelism comes from running model x horizon tasks in separate processes.
"""

from __future__ import annotations

from pipelines.models.base import (
    BOOST_PARAMS,
    RIDGE_ALPHA,
    BoostParams,
    Capabilities,
    Forecaster,
    validation_split,
)
from pipelines.models.boosting import CatBoostModel, LightGBMModel, XGBoostModel
from pipelines.models.hybrid import HYBRID_BASE, HybridCatBoostModel, HybridLightGBMModel, HybridXGBoostModel
from pipelines.models.linear import BayesianRidgeModel, HuberModel, RidgeModel

__all__ = [
    "BOOST_PARAMS",
    "HYBRID_BASE",
    "MODEL_NAMES",
    "REGISTRY",
    "RIDGE_ALPHA",
    "BoostParams",
    "Capabilities",
    "Forecaster",
    "capabilities_of",
    "make_model",
    "validation_split",
]

_MODELS: tuple[type[Forecaster], ...] = (
    RidgeModel,
    BayesianRidgeModel,
    HuberModel,
    XGBoostModel,
    LightGBMModel,
    CatBoostModel,
    HybridXGBoostModel,
    HybridLightGBMModel,
    HybridCatBoostModel,
)
REGISTRY: dict[str, type[Forecaster]] = {cls.name: cls for cls in _MODELS}
MODEL_NAMES: tuple[str, ...] = tuple(REGISTRY)


def _model_class(name: str) -> type[Forecaster]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}") from None


def make_model(name: str, seed: int = 0, *, early_stopping: bool = True) -> Forecaster:
    """A new, unfitted model. ``early_stopping=False`` fits boosting a fixed number of trees."""
    return _model_class(name)(seed, early_stopping)


def capabilities_of(name: str) -> Capabilities:
    return _model_class(name).capabilities
