import pytest

from pipelines.consensus import consensus_weights, skill, weighted


def test_chance_models_get_zero_and_weights_sum_to_one():
    skills = {"a": skill(56.0, 0.001), "b": skill(58.0, 0.20), "c": skill(52.0, 0.01), "d": skill(49.0, None)}
    w = consensus_weights(skills)
    assert w["b"] == 0.0 and w["d"] == 0.0
    assert w["a"] == pytest.approx(6 / 8) and w["c"] == pytest.approx(2 / 8)
    assert sum(w.values()) == pytest.approx(1.0)
    assert weighted({"a": 1.0, "b": 5.0, "c": -1.0, "d": 9.0}, w) == pytest.approx(0.75 - 0.25)


def test_all_chance_gives_equal_weights():
    w = consensus_weights({"a": skill(50.5, 0.4), "b": skill(60.0, None), "c": skill(45.0, 0.001)})
    assert w == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
