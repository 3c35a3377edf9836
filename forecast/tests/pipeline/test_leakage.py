"""No look-ahead: features at t ignore prices after t; training targets never reach the test window."""

import numpy as np
import pytest

from pipelines.features import build_features
from pipelines.models import BOOST_PARAMS, validation_split
from pipelines.walkforward import make_folds
from tests.pipeline.helpers import synthetic_prices


@pytest.mark.parametrize("t", [80, 300, 599])
def test_future_prices_do_not_change_features(t):
    frame = synthetic_prices(600, seed=3)
    frame["volume"] = np.random.default_rng(0).uniform(1e6, 2e6, len(frame))
    base = build_features(frame)
    shocked = frame.copy()
    rng = np.random.default_rng(1)
    shocked.iloc[t + 1 :, 0] *= np.exp(rng.normal(0, 0.2, len(frame) - t - 1))
    shocked.iloc[t + 1 :, 1] *= 5
    after = build_features(shocked)
    np.testing.assert_array_equal(base.iloc[: t + 1].to_numpy(), after.iloc[: t + 1].to_numpy())
    if t + 1 < len(frame):  # sanity: the shock is visible right after t
        assert not np.allclose(base.iloc[t + 1 :].fillna(0).to_numpy(), after.iloc[t + 1 :].fillna(0).to_numpy())


@pytest.mark.parametrize("h", [1, 5, 10, 30])
def test_folds_purge_h_rows_and_tile_the_test_region(h):
    n = 2000
    folds = make_folds(n, h, n_folds=10)
    for f in folds:
        last_train_row = f.train_end - 1
        # Row i's target spans prices i..i+h; it must end before the first test point's t.
        assert last_train_row + h < f.test_start
        assert f.test_start - f.train_end == h  # exactly h rows purged, no more
    assert all(a.test_end == b.test_start for a, b in zip(folds, folds[1:]))
    assert folds[-1].test_end == n - h  # never tests on rows without a realised target


@pytest.mark.parametrize("h", [1, 20])
def test_early_stopping_tail_is_purged_and_inside_training(h):
    n = 1000
    fit, val = validation_split(n, h)
    assert val.stop == n  # the tail of the training window, not the test window
    assert fit.stop - 1 + h < val.start
    assert val.stop - val.start == int(n * BOOST_PARAMS["validation_fraction"])


def test_constant_volume_drops_undefined_feature_not_rows():
    from pipelines.features import model_frame

    frame = synthetic_prices(400)
    frame["volume"] = 1e6
    feats, aligned = model_frame(frame)
    assert "volume_z_20" not in feats.columns and len(feats) == 400 - 60
    assert feats.notna().all().all() and aligned.index.equals(feats.index)
