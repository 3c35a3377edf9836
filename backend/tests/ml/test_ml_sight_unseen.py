"""Models the team might hand us, served without any code change."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import LinearSVC

from .conftest import FEATURES, STUDENT

GOOD = {**STUDENT, "AVG_NG": 18.0, "PRCTJE-NPC-S": 5.0}
BAD = {**STUDENT, "AVG_NG": 3.0, "PRCTJE-NPC-S": 80.0}


def _assert_consistent(engine, features):
    result = engine.predict(features)
    assert 0.0 <= result.score <= 1.0
    assert result.label == ("Aprobar" if result.score >= 0.5 else "Desaprobar")
    assert [impact.feature for impact in result.explain] != []
    assert set(result.features) == set(engine.feature_names)
    return result


def _assert_separates(engine):
    good, bad = _assert_consistent(engine, GOOD), _assert_consistent(engine, BAD)
    assert good.label == "Aprobar" and bad.label == "Desaprobar"
    assert good.score > 0.5 > bad.score
    return good, bad


def test_pipeline_with_0_1_classes(serve, students):
    frame, passed = students
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed))
    assert not engine.is_mock and engine.feature_names == FEATURES
    assert engine.status()["positive_class"] == 1
    _assert_separates(engine)


@pytest.mark.parametrize(
    ("positive", "negative"),
    [("Aprobado", "Desaprobado"), ("aprobado", "reprobado"), ("pass", "fail"), ("APRUEBA", "NO APRUEBA")],
)
def test_string_labels_find_the_passing_class(serve, students, positive, negative):
    frame, passed = students
    labels = np.where(passed == 1, positive, negative)
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, labels))
    assert engine.status()["positive_class"] == positive
    _assert_separates(engine)


def test_bool_labels(serve, students):
    frame, passed = students
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed.astype(bool)))
    assert engine.status()["positive_class"] is True
    _assert_separates(engine)


@pytest.mark.parametrize(
    "model",
    [RandomForestClassifier(n_estimators=30, random_state=0), GradientBoostingClassifier(random_state=0)],
    ids=["random_forest", "gradient_boosting"],
)
def test_tree_models_without_scaler(serve, students, model):
    frame, passed = students
    engine = serve(model.fit(frame, passed))
    # Until a verified compiled graph takes over, the estimator itself serves.
    assert engine.status()["serving"]["path"] == "sklearn"
    _assert_separates(engine)
    assert engine.runtime.compile_now().kind == "onnx"
    _assert_separates(engine)


def test_model_without_predict_proba_uses_decision_function(serve, students):
    frame, passed = students
    engine = serve(make_pipeline(StandardScaler(), LinearSVC()).fit(frame, passed))
    assert engine.status()["scoring_method"] == "decision_function"
    _assert_separates(engine)


def test_decision_function_with_positive_class_first(serve, students):
    frame, passed = students
    labels = np.where(passed == 1, "aprobado", "zz-desaprobado")  # positive sorts first in classes_
    engine = serve(make_pipeline(StandardScaler(), LinearSVC()).fit(frame, labels))
    assert engine.status()["positive_class"] == "aprobado"
    _assert_separates(engine)


def test_column_transformer_selects_by_name(serve, students):
    frame, passed = students
    shuffled = frame[["PRCTJE-NPC-S", "EDAD", "AVG_NG", "CREDITOS", "PTJE_INGRESO"]]
    selector = ColumnTransformer(
        [("grades", StandardScaler(), ["AVG_NG", "PRCTJE-NPC-S"]), ("rest", MinMaxScaler(), ["EDAD", "CREDITOS"])],
        remainder="drop",
    )
    engine = serve(Pipeline([("columns", selector), ("model", LogisticRegression())]).fit(shuffled, passed))
    assert engine.feature_names == list(shuffled.columns)  # the model's own order wins
    good, _ = _assert_separates(engine)
    impacts = {impact.feature: impact.impact for impact in good.explain}
    assert impacts["PTJE_INGRESO"] == 0.0  # dropped by the ColumnTransformer


def test_numpy_fit_model_with_card(serve, students):
    frame, passed = students
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame.to_numpy(), passed)
    engine = serve(model, card={"version": "team-v2", "features": FEATURES})
    assert not engine.is_mock and engine.version == "team-v2"
    assert engine.feature_names == FEATURES
    _assert_separates(engine)


def test_numpy_fit_model_without_card_is_mock(serve, students):
    frame, passed = students
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame.to_numpy(), passed))
    assert engine.is_mock
    assert "feature order" in engine.status()["reason"]


def test_numpy_fit_model_with_wrong_card_length_is_mock(serve, students):
    frame, passed = students
    model = LogisticRegression().fit(frame.to_numpy(), passed)
    engine = serve(model, card={"features": FEATURES[:3]})
    assert engine.is_mock and "expects 5 features" in engine.status()["reason"]


def test_label_matches_score_at_threshold(serve, students):
    """Whatever model.predict would say, the label follows score >= 0.5."""
    frame, passed = students
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed))
    rng = np.random.default_rng(3)
    for _ in range(200):
        features = {**STUDENT, "AVG_NG": float(rng.uniform(8, 14)), "PRCTJE-NPC-S": float(rng.uniform(0, 100))}
        result = engine.predict(features)
        assert (result.label == "Aprobar") == (result.score >= 0.5)


def test_compiled_path_matches_sklearn(serve, students):
    frame, passed = students
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed)
    engine = serve(model)
    assert engine.runtime.compile_now().kind == "onnx"
    assert engine.status()["serving"]["path"] == "onnx"
    result = engine.predict(GOOD)
    expected = model.predict_proba(frame.iloc[:0].reindex([0]).assign(**GOOD))[0, 1]
    assert result.score == pytest.approx(expected, abs=1e-6)
