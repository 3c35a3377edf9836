"""What each walk-forward model is actually fitted on, not only the fold plan that make_folds returns.

Column 0 of X carries the row number, so every fit the estimators see (the sklearn Pipeline of a linear
model, XGBoost, LightGBM, CatBoost, including their early-stopping eval sets) reveals its rows. A spy on
the model factory groups those fits per model and records the rows each model then predicts; the rows
it predicts but was not fitted on are its test rows. Row i's target ends at row i + h, so a fold is
clean when every fitted row (and every eval row) has i + h < the first test row: the purge that
walkforward.py promises. Checked for every model in the registry and every default horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from pipelines import walkforward
from pipelines.config import DEFAULT_HORIZONS
from pipelines.features import build_target, model_frame
from pipelines.models import MODEL_NAMES, capabilities_of
from tests.pipeline.helpers import synthetic_prices

N_FOLDS = 3  # few refits keep 9 models x 7 horizons fast; the purge is per fold, so 3 show it


def _rows(X) -> np.ndarray:
    rows = np.asarray(X, float)[:, 0]
    assert np.array_equal(rows, np.round(rows)), "column 0 must carry row numbers"
    return rows.astype(int)


def _arrays_2d(value) -> list[np.ndarray]:
    """Every 2-D array inside an eval-set argument, whatever its nesting: XGBoost takes [(X, y)],
    CatBoost (X, y), LightGBM eval_X=(X,)."""
    if isinstance(value, np.ndarray):
        return [value] if value.ndim == 2 else []
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays_2d(v)]
    return []


@dataclass
class EstimatorFit:
    rows: np.ndarray
    eval_rows: list[np.ndarray]


@dataclass
class ModelRecord:
    rows: np.ndarray | None = None  # rows passed to model.fit
    y: np.ndarray | None = None
    estimator_fits: list[EstimatorFit] = field(default_factory=list)
    predicted: list[np.ndarray] = field(default_factory=list)

    def test_rows(self) -> np.ndarray:
        return np.setdiff1d(np.concatenate(self.predicted), self.rows)


@pytest.fixture
def fit_log(monkeypatch):
    """Records, per model that run_task builds, what it and its estimators are fitted on."""
    from catboost import CatBoostRegressor
    from lightgbm import LGBMRegressor
    from sklearn.pipeline import Pipeline
    from xgboost import XGBRegressor

    models: list[ModelRecord] = []
    current: list[ModelRecord] = []

    def spy_on(cls):
        real = cls.fit

        def fit(self, X, *args, **kwargs):
            evals = [_rows(a) for key in ("eval_set", "eval_X") for a in _arrays_2d(kwargs.get(key))]
            current[-1].estimator_fits.append(EstimatorFit(_rows(X), evals))
            return real(self, X, *args, **kwargs)

        monkeypatch.setattr(cls, "fit", fit)

    for cls in (Pipeline, XGBRegressor, LGBMRegressor, CatBoostRegressor):
        spy_on(cls)

    real_make_model = walkforward.make_model

    def make_model(name, seed=0, *, early_stopping=True):
        model, record = real_make_model(name, seed, early_stopping=early_stopping), ModelRecord()
        models.append(record)
        real_fit, real_predict = model.fit, model.predict

        def fit(X, y, purge=0):
            record.rows, record.y = _rows(X), np.array(y, float)
            current.append(record)
            try:
                return real_fit(X, y, purge)
            finally:
                current.pop()

        def predict(X):
            record.predicted.append(_rows(X))
            return real_predict(X)

        model.fit, model.predict = fit, predict
        return model

    monkeypatch.setattr(walkforward, "make_model", make_model)
    return models


@pytest.fixture(scope="module")
def series():
    frame = synthetic_prices(760, seed=5)
    feats, aligned = model_frame(frame)
    X = np.column_stack([np.arange(len(feats), dtype=float), feats.to_numpy(float)])
    return X, aligned


@pytest.mark.parametrize("h", DEFAULT_HORIZONS)
@pytest.mark.parametrize("model", MODEL_NAMES)
def test_no_fold_fits_a_target_that_overlaps_its_test_window(fit_log, series, model, h):
    X, aligned = series
    result = walkforward.run_task(model, h, X, aligned["price"].to_numpy(float), n_folds=N_FOLDS)
    *folds, live = fit_log
    assert len(folds) == len(result.folds) == N_FOLDS
    # The spy saw the real test rows: together the folds predicted exactly the scored points.
    np.testing.assert_array_equal(np.concatenate([f.test_rows() for f in folds]), result.test_rows)
    # The targets handed to fit are the h-day forward returns of those rows (built independently
    # here), so "row i's target ends at row i + h" holds for what is fitted.
    target = build_target(aligned, h).to_numpy()
    early_stopping = capabilities_of(model).supports_early_stopping
    for k, fold in enumerate(folds):
        first_test = int(fold.test_rows()[0])
        where = f"{model} h={h} fold {k}: first test row {first_test}"
        np.testing.assert_allclose(fold.y, target[fold.rows], err_msg=where)
        assert fold.estimator_fits, where
        for est in fold.estimator_fits:
            last_fitted = int(est.rows.max())
            assert last_fitted + h < first_test, f"{where}, fitted up to row {last_fitted}"
            for ev in est.eval_rows:
                first_eval, last_eval = int(ev.min()), int(ev.max())
                assert last_eval + h < first_test, f"{where}, early-stopping rows up to {last_eval}"
                # The stopping signal is purged from the rows the trees are grown on, too.
                assert last_fitted + h < first_eval, f"{where}, eval rows from {first_eval}"
        if early_stopping:  # the split above was really exercised, not skipped for a short window
            assert any(est.eval_rows for est in fold.estimator_fits), where
    # The live model fits only targets already realised at the last row, the one it predicts from.
    last_row = len(X) - 1
    assert int(live.rows.max()) + h <= last_row and np.isfinite(live.y).all()
    assert all(int(est.rows.max()) + h <= last_row for est in live.estimator_fits)
