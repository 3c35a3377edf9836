"""Every bad feature is a FeatureValidationError naming the field; nothing predicts silently."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from app.ml.featurizer import FeatureSchema, FeatureSpec, to_feature_vector
from app.services.inference import FeatureValidationError

from .conftest import FEATURES, STUDENT


@pytest.fixture
def engine(serve, students):
    frame, passed = students
    return serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed))


def _errors(call) -> dict[str, str]:
    with pytest.raises(FeatureValidationError) as caught:
        call()
    return {error.field: error.code for error in caught.value.errors}


def test_missing_feature_without_default(engine):
    features = {name: value for name, value in STUDENT.items() if name != "EDAD"}
    assert _errors(lambda: engine.predict(features)) == {"features.EDAD": "missing"}


def test_unknown_feature_is_refused(engine):
    assert _errors(lambda: engine.predict({**STUDENT, "AVG_NGG": 12.0})) == {"features.AVG_NGG": "unknown_feature"}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (math.nan, "not_finite"),
        (math.inf, "not_finite"),
        (-math.inf, "not_finite"),
        ("12", "type_error"),
        (True, "type_error"),
        (np.bool_(False), "type_error"),
        (None, "type_error"),
        ([12], "type_error"),
        ({"v": 1}, "type_error"),
        (10**400, "out_of_range"),
        (1e300, "out_of_range"),
    ],
)
def test_non_numeric_or_non_finite_values(engine, value, code):
    assert _errors(lambda: engine.predict({**STUDENT, "AVG_NG": value})) == {"features.AVG_NG": code}


def test_numpy_and_int_values_are_accepted(engine):
    result = engine.predict({**STUDENT, "EDAD": np.int64(20), "AVG_NG": np.float32(12.5), "CREDITOS": 4})
    assert result.features["EDAD"] == 20.0 and result.features["AVG_NG"] == 12.5


def test_all_problems_are_listed_at_once(engine):
    features = {"PTJE_INGRESO": "abc", "EDAD": math.nan, "CREDITOS": None, "typo": 1.0}
    errors = _errors(lambda: engine.predict(features))
    assert errors == {
        "features.PTJE_INGRESO": "type_error",
        "features.EDAD": "not_finite",
        "features.CREDITOS": "type_error",
        "features.typo": "unknown_feature",
        "features.AVG_NG": "missing",
        "features.PRCTJE-NPC-S": "missing",
    }


def test_features_must_be_a_mapping(engine):
    assert _errors(lambda: engine.predict([1, 2, 3])) == {"features": "type_error"}


def test_card_defaults_and_bounds(serve, students):
    frame, passed = students
    card = {
        "features": [{"name": "EDAD", "default": 21, "min": 14, "max": 80}, {"name": "AVG_NG", "min": 0, "max": 20}]
    }
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed), card=card)
    without_age = {name: value for name, value in STUDENT.items() if name != "EDAD"}
    assert engine.predict(without_age).features["EDAD"] == 21.0
    assert _errors(lambda: engine.predict({**STUDENT, "EDAD": 5, "AVG_NG": 21})) == {
        "features.EDAD": "out_of_range",
        "features.AVG_NG": "out_of_range",
    }


def test_features_come_back_in_model_order(engine):
    reordered = dict(reversed(list(STUDENT.items())))
    assert list(engine.predict(reordered).features) == FEATURES


def test_to_feature_vector_wrapper():
    schema = FeatureSchema(specs=(FeatureSpec("A"), FeatureSpec("B", default=2.0)), as_dataframe=False)
    vector = to_feature_vector({"cod_curso": "CS2H1", "features": {"A": 1}}, schema)
    assert vector.tolist() == [1.0, 2.0] and vector.dtype == np.float64
    assert to_feature_vector({"X": 3, "Y": 4}).tolist() == [3.0, 4.0]
    with pytest.raises(FeatureValidationError):
        to_feature_vector({"features": {"A": "x"}}, schema)
