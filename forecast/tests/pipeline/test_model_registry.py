"""The model registry: every name the CLI accepts builds a Forecaster that fits, forecasts and weighs its
features, and reports what it is (the capabilities the run publishes in ModelSummary)."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.models import BOOST_PARAMS, MODEL_NAMES, REGISTRY, capabilities_of, make_model, validation_split

N_ROWS, N_FEATURES = 400, 4


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(N_ROWS, N_FEATURES))
    y = 0.01 * X[:, 0] - 0.005 * X[:, 1] + rng.normal(0, 0.01, N_ROWS)
    return X, y


def test_the_registry_holds_the_nine_models_in_the_published_order():
    linear, boosting = ("ridge", "bayesian_ridge", "huber"), ("xgboost", "lightgbm", "catboost")
    assert MODEL_NAMES == (*linear, *boosting, *(f"hybrid_{b}" for b in boosting))
    assert all(REGISTRY[name].name == name for name in MODEL_NAMES)


def test_an_unknown_model_is_refused_with_the_names_to_choose_from():
    with pytest.raises(ValueError, match="unknown model 'arima'; choose from ridge, bayesian_ridge"):
        make_model("arima")
    with pytest.raises(ValueError, match="unknown model"):
        capabilities_of("arima")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_forecasts_and_weighs_every_feature(name, data):
    X, y = data
    model = make_model(name, seed=1).fit(X[:300], y[:300], purge=5)
    forecast = model.predict(X[300:])
    assert forecast.shape == (100,) and np.isfinite(forecast).all()
    # The signal is in column 0: a fitted model forecasts better than chance out of sample.
    assert np.mean(np.sign(forecast) == np.sign(y[300:])) > 0.6
    weights = model.importance()
    assert weights.shape == (N_FEATURES,) and (weights >= 0).all() and weights.sum() > 0


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_capabilities_say_what_the_model_does(name, data):
    X, y = data
    caps = capabilities_of(name)
    trees = name.removeprefix("hybrid_") in ("xgboost", "lightgbm", "catboost")
    assert caps.model_type == ("hybrid" if name.startswith("hybrid_") else "boosting" if trees else "linear")
    assert caps.requires_scaling == (caps.model_type != "boosting")
    model = make_model(name).fit(X, y, purge=5)
    # Early stopping is reported exactly by the models that say they support it.
    assert (model.best_iteration is not None) == caps.supports_early_stopping
    if caps.supports_early_stopping:
        assert 1 <= model.best_iteration <= BOOST_PARAMS["n_estimators"]


@pytest.mark.parametrize("name", [n for n in MODEL_NAMES if capabilities_of(n).supports_early_stopping])
def test_without_early_stopping_boosting_grows_every_tree(name, data):
    X, y = data
    stopped = make_model(name, seed=1).fit(X, y, purge=5)
    full = make_model(name, seed=1, early_stopping=False).fit(X, y, purge=5)
    assert full.best_iteration is None
    assert stopped.best_iteration is not None and stopped.best_iteration < BOOST_PARAMS["n_estimators"]
    # Fewer trees, another forecast: the switch really changes the fit.
    assert not np.allclose(stopped.predict(X), full.predict(X))


def test_a_window_too_short_for_a_stopping_tail_fits_a_fixed_number_of_trees(data):
    X, y = data
    assert validation_split(150, 5) is None
    short = make_model("xgboost", seed=1).fit(X[:150], y[:150], purge=5)
    fixed = make_model("xgboost", seed=1, early_stopping=False).fit(X[:150], y[:150], purge=5)
    assert short.best_iteration is None
    np.testing.assert_array_equal(short.predict(X), fixed.predict(X))
