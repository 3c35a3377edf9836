"""The verdict on series whose answer is known: real AR(1) skill is named, shuffled returns are not."""

import pytest

from pipelines.config import PipelineConfig
from tests.pipeline.helpers import evaluate, shuffled_sp500, synthetic_prices

MODELS = ("ridge", "huber", "lightgbm")


def _config(**kw) -> PipelineConfig:
    return PipelineConfig(models=MODELS, horizons=(1, 5), jobs=2, progress=False, **kw)


def _check_consensus_invariants(a) -> None:
    for c in a.consensus:
        assert c.confidence >= 0.5
        assert (c.signal == "no_edge") == (c.weights == {}) == (c.models_used == [])


def test_ar1_series_names_a_model_at_h1():
    a = evaluate(synthetic_prices(2600, phi=0.5, seed=1), _config())
    h1 = next(s for s in a.skill_by_horizon if s.horizon == 1)
    assert h1.beats_baseline and h1.spa_p_value < 0.01 and h1.best_edge > 5
    assert a.beats_baseline and f"{h1.best_model} beats always-up at h=1" in a.verdict
    consensus = next(c for c in a.consensus if c.horizon == 1)
    assert consensus.signal == "skill" and consensus.consensus_holdout_da > consensus.holdout_always_up_da
    _check_consensus_invariants(a)


def test_shuffled_returns_name_a_model_in_at_most_2_of_20_seeds():
    named = []
    for seed in range(20):
        a = evaluate(shuffled_sp500(seed, 2000), _config(seed=seed))
        _check_consensus_invariants(a)
        if a.beats_baseline:
            named.append((seed, a.verdict))
        else:
            assert a.verdict == "No model beats always-up at any horizon on this data."
    assert len(named) <= 2, named


def test_the_verdict_does_not_depend_on_pipeline_parallelism():
    frame = synthetic_prices(1500, phi=0.2, seed=8)
    one = evaluate(frame, PipelineConfig(models=MODELS, horizons=(1, 5), jobs=1, progress=False, seed=3))
    two = evaluate(frame, _config(seed=3))
    assert one.skill_by_horizon == two.skill_by_horizon and one.verdict == two.verdict


@pytest.mark.parametrize("holdout", [0.1, 0.3])
def test_consensus_hold_out_size_follows_the_config(holdout):
    a = evaluate(synthetic_prices(1500, phi=0.5, seed=2), _config(holdout_fraction=holdout))
    for c, s in zip(a.consensus, a.skill_by_horizon, strict=True):
        assert c.n_holdout == s.n_holdout == round(s.n_test * holdout)
