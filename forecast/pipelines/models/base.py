"""What every model shares: the ``Forecaster`` protocol, the capabilities it reports and the settings
(boosting parameters, the early-stopping split) the concrete models are built with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, Self, TypedDict

import numpy as np

from runcontract.models import ModelType


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


@dataclass(frozen=True)
class Capabilities:
    """What a model is, as the run reports it (ModelSummary), and how long it takes to fit."""

    model_type: ModelType
    requires_scaling: bool
    supports_early_stopping: bool
    # Relative fitting time; the pipeline submits the slowest tasks first so its workers finish together.
    relative_cost: int


class Forecaster(Protocol):
    """One model at one horizon: fitted on a training window, then asked for forecasts and importances.

    ``purge`` is the horizon: an early-stopping tail is kept that many rows away from the rows fitted on,
    so the stopping signal never overlaps the fitting targets.
    """

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self, seed: int = 0, early_stopping: bool = True) -> None: ...

    def fit(self, X: np.ndarray, y: np.ndarray, purge: int = 0) -> Self: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def importance(self) -> np.ndarray:
        """One non-negative weight per feature, of the last fit."""
        ...

    @property
    def best_iteration(self) -> int | None:
        """The number of trees early stopping kept in the last fit; None without early stopping."""
        ...


def validation_split(n: int, purge: int) -> tuple[slice, slice] | None:
    """The rows to fit on and the early-stopping tail of a training window of ``n`` rows, ``purge`` rows
    apart; None when the window is too short to spare a tail (the model then fits a fixed number of trees)."""
    n_val = int(n * BOOST_PARAMS["validation_fraction"])
    n_fit = n - n_val - purge
    if n_val < 30 or n_fit < 100:
        return None
    return slice(0, n_fit), slice(n - n_val, n)
