"""Known predictability in, matching accuracy out.

Random walk: true DA is 50% for any forecast independent of the future. With ~570 test points per model
the standard error of a DA under the null is 50/sqrt(570) ~ 2.1 pp; we allow 4 standard errors
(+-8.4 pp) so that nine correlated checks still fail by chance with probability < 1e-3 (and the seed is
fixed, so the test is deterministic). AR(1) with phi=0.5: the best linear forecast's sign matches the
return's with probability 1/2 + arcsin(0.5)/pi = 66.7%.
"""

import math

import numpy as np
import pytest

from pipelines.features import model_frame
from pipelines.models import MODEL_NAMES
from pipelines.walkforward import run_task
from tests.pipeline.helpers import synthetic_prices


def _xy(frame):
    feats, aligned = model_frame(frame)
    return feats.to_numpy(float), aligned["price"].to_numpy(float)


@pytest.fixture(scope="module")
def random_walk():
    return _xy(synthetic_prices(1500, phi=0.0, seed=2024))


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_random_walk_da_is_chance(random_walk, model):
    X, price = random_walk
    r = run_task(model, 1, X, price, seed=0, n_folds=4)
    n = len(r.y_test)
    tol = 4 * 50 / math.sqrt(n)
    assert abs(r.metrics["da_test"] - 50.0) < tol, (model, r.metrics["da_test"], tol)
    p = r.significance["p_value"]
    assert p is None or p > 0.001


@pytest.mark.parametrize("model", ["ridge", "lightgbm", "hybrid_xgboost"])
def test_ar1_returns_give_high_da_at_h1(model):
    X, price = _xy(synthetic_prices(1500, phi=0.5, seed=99))
    r = run_task(model, 1, X, price, seed=0, n_folds=4)
    assert r.metrics["da_test"] > 60.0, r.metrics
    assert r.significance["p_value"] < 1e-6
    assert r.metrics["sharpe"] > 1.0


def test_ar1_linear_is_close_to_theory():
    X, price = _xy(synthetic_prices(3000, phi=0.5, seed=5))
    r = run_task("ridge", 1, X, price, seed=0, n_folds=4)
    theory = 50 + 100 * math.asin(0.5) / math.pi
    assert r.metrics["da_test"] == pytest.approx(theory, abs=4 * 50 / math.sqrt(len(r.y_test)))
    assert np.isfinite(r.live_prediction)
