"""Explanations (sign, order, one batched call) and what-if scenarios on real models."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from app.services.inference import FeatureValidationError

from .conftest import STUDENT


class CountingForest(RandomForestClassifier):
    """Counts predict_proba calls (class attribute: survives pickling by reference)."""

    calls = 0

    def predict_proba(self, X):
        type(self).calls += 1
        return super().predict_proba(X)


@pytest.fixture
def linear(serve, students):
    frame, passed = students
    return serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed))


def test_positive_coefficient_above_baseline_has_positive_impact(linear):
    baselines = {name: entry["value"] for name, entry in linear.status()["baselines"].items()}
    result = linear.predict(
        {**baselines, "AVG_NG": baselines["AVG_NG"] + 4, "PRCTJE-NPC-S": baselines["PRCTJE-NPC-S"] + 30}
    )
    impacts = {impact.feature: impact.impact for impact in result.explain}
    assert impacts["AVG_NG"] > 0  # more average grade than typical -> helps passing
    assert impacts["PRCTJE-NPC-S"] < 0  # more failed courses than typical -> hurts
    assert impacts["EDAD"] == 0.0  # at its baseline: no impact


def test_explanations_sorted_by_absolute_impact(linear):
    result = linear.predict({**STUDENT, "AVG_NG": 9.0})
    sizes = [abs(impact.impact) for impact in result.explain]
    assert sizes == sorted(sizes, reverse=True)
    assert len(result.explain) == 5


def test_baselines_come_from_scaler_means(linear, students):
    frame, _ = students
    baselines = linear.status()["baselines"]
    assert baselines["AVG_NG"]["source"] == "training mean"
    assert baselines["AVG_NG"]["value"] == pytest.approx(frame["AVG_NG"].mean())


def test_one_model_call_per_predict_and_whatif(serve, students):
    frame, passed = students
    engine = serve(CountingForest(n_estimators=10, random_state=0).fit(frame, passed))
    CountingForest.calls = 0
    engine.predict(STUDENT)
    assert CountingForest.calls == 1
    engine.whatif(STUDENT, {"AVG_NG": 2})
    assert CountingForest.calls == 2


def test_whatif_direction(linear):
    up = linear.whatif(STUDENT, {"AVG_NG": 3})
    down = linear.whatif(STUDENT, {"AVG_NG": -3, "PRCTJE-NPC-S": 20})
    assert up.prediction.score > up.baseline.score
    assert down.prediction.score < down.baseline.score
    assert up.baseline.score == linear.predict(STUDENT).score
    assert up.prediction.features["AVG_NG"] == STUDENT["AVG_NG"] + 3
    assert up.applied_deltas == {"AVG_NG": 3.0}
    assert up.prediction.label == ("Aprobar" if up.prediction.score >= 0.5 else "Desaprobar")


def test_whatif_matches_a_plain_predict_of_the_shifted_input(linear):
    scenario = linear.whatif(STUDENT, {"CREDITOS": -1})
    direct = linear.predict({**STUDENT, "CREDITOS": STUDENT["CREDITOS"] - 1})
    assert scenario.prediction.score == direct.score
    assert scenario.prediction.explain == direct.explain


def test_whatif_empty_deltas_is_the_baseline(linear):
    result = linear.whatif(STUDENT, {})
    assert result.prediction.score == result.baseline.score and result.applied_deltas == {}


@pytest.mark.parametrize(
    ("deltas", "expected"),
    [
        ({"horas_estudio": 2}, {"deltas.horas_estudio": "unknown_feature"}),
        ({"AVG_NG": np.nan}, {"deltas.AVG_NG": "not_finite"}),
        ({"AVG_NG": "2"}, {"deltas.AVG_NG": "type_error"}),
        ({"AVG_NG": True, "typo": 1}, {"deltas.AVG_NG": "type_error", "deltas.typo": "unknown_feature"}),
    ],
)
def test_whatif_bad_deltas(linear, deltas, expected):
    with pytest.raises(FeatureValidationError) as caught:
        linear.whatif(STUDENT, deltas)
    assert {error.field: error.code for error in caught.value.errors} == expected


def test_whatif_respects_card_bounds(serve, students):
    frame, passed = students
    engine = serve(
        make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed),
        card={"features": [{"name": "AVG_NG", "min": 0, "max": 20}]},
    )
    with pytest.raises(FeatureValidationError) as caught:
        engine.whatif(STUDENT, {"AVG_NG": 10})
    assert caught.value.errors[0].field == "deltas.AVG_NG"
