"""Mock mode never raises; cards set version, labels, positive class, and are ignored when stale."""

from __future__ import annotations

import hashlib
import json
import logging

import joblib
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from app.services.engine_loading import load_engine
from app.services.inference import FeatureValidationError

from .conftest import FEATURES, STUDENT, write_card


def _assert_mock(engine, reason_part):
    status = engine.status()
    assert engine.is_mock and status["mode"] == "mock" and engine.version == "mock"
    assert reason_part in status["reason"]
    return status


def test_missing_file_is_mock_with_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        engine = load_engine(tmp_path / "absent.pkl")
    _assert_mock(engine, "not found")
    assert "MOCK" in caplog.text
    result = engine.predict({"anything": 1.5})
    assert result.score == 0.5 and result.label == "Aprobar" and result.version == "mock"


def test_corrupt_file_is_mock(tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"definitely not a pickle")
    _assert_mock(load_engine(tmp_path / "model.pkl"), "cannot unpickle")


def test_directory_instead_of_file_is_mock(tmp_path):
    _assert_mock(load_engine(tmp_path), "not found")


@pytest.mark.parametrize("payload", [{"not": "a model"}, [1, 2, 3], "text"], ids=["dict", "list", "str"])
def test_pickle_that_is_not_a_classifier_is_mock(tmp_path, payload):
    joblib.dump(payload, tmp_path / "model.pkl")
    _assert_mock(load_engine(tmp_path / "model.pkl"), "not a fitted classifier")


def test_regressor_is_mock(serve, students):
    frame, passed = students
    _assert_mock(serve(LinearRegression().fit(frame, passed)), "not a fitted classifier")


def test_unfitted_classifier_is_mock(serve):
    _assert_mock(serve(LogisticRegression()), "not a fitted classifier")


def test_mock_without_card_accepts_any_finite_numbers_only(tmp_path):
    engine = load_engine(tmp_path / "absent.pkl")
    assert engine.predict({"X": 1, "Y": 2.5}).features == {"X": 1.0, "Y": 2.5}
    with pytest.raises(FeatureValidationError) as caught:
        engine.predict({"X": "1", "Y": float("nan")})
    assert {error.field for error in caught.value.errors} == {"features.X", "features.Y"}


def test_mock_with_card_validates_against_card(tmp_path):
    write_card(tmp_path / "model.pkl", {"features": [{"name": "EDAD", "default": 20}, "AVG_NG"]})
    engine = load_engine(tmp_path / "model.pkl")
    assert engine.feature_names == ["EDAD", "AVG_NG"]
    assert engine.predict({"AVG_NG": 12}).features == {"EDAD": 20.0, "AVG_NG": 12.0}
    with pytest.raises(FeatureValidationError):
        engine.predict({"AVG_NG": 12, "typo": 1})


def test_mock_whatif_simulates_plus_minus_two_points(tmp_path):
    engine = load_engine(tmp_path / "absent.pkl")
    up = engine.whatif({"AVG_NG": 10}, {"AVG_NG": 2})
    down = engine.whatif({"AVG_NG": 10}, {"AVG_NG": -2})
    same = engine.whatif({"AVG_NG": 10}, {})
    assert (up.baseline.score, up.prediction.score) == (0.5, 0.52)
    assert (down.prediction.score, down.prediction.label) == (0.48, "Desaprobar")
    assert same.prediction.score == 0.5
    with pytest.raises(FeatureValidationError):
        engine.whatif({"AVG_NG": 10}, {"horas_estudio": 1})


def test_version_is_file_hash_without_card(serve, students, tmp_path):
    frame, passed = students
    engine = serve(LogisticRegression(max_iter=500).fit(frame, passed))
    digest = hashlib.sha256((tmp_path / "model.pkl").read_bytes()).hexdigest()
    assert engine.version == f"model-{digest[:12]}"
    assert engine.predict(STUDENT).version == engine.version


def test_version_and_labels_from_card(serve, students):
    frame, passed = students
    card = {"version": "team-2025.1", "label_names": {"positive": "Pasa", "negative": "No pasa"}}
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed), card=card)
    result = engine.predict(STUDENT)
    assert engine.version == result.version == "team-2025.1"
    assert result.label == ("Pasa" if result.score >= 0.5 else "No pasa")


def test_card_positive_class_wins(serve, students):
    frame, passed = students
    # A team whose target is "failed" (1 = desaprobó) says so in the card.
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, 1 - passed)
    engine = serve(model, card={"positive_class": 0})
    assert engine.status()["positive_class_source"] == "card"
    assert engine.predict({**STUDENT, "AVG_NG": 18.0, "PRCTJE-NPC-S": 5.0}).label == "Aprobar"


def test_stale_card_for_another_pickle_is_ignored(serve, students):
    frame, passed = students
    card = {"version": "demo-synthetic-v1", "model_sha256": "0" * 64, "features": [{"name": "EDAD", "default": 99}]}
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed), card=card)
    assert engine.version.startswith("model-")
    assert any("sha256 mismatch" in warning for warning in engine.status()["warnings"])


def test_broken_card_is_ignored_but_model_served(serve, students, tmp_path):
    frame, passed = students
    (tmp_path / "model.json").write_text("{not json", encoding="utf-8")
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed))
    assert not engine.is_mock and engine.version.startswith("model-")
    assert any("card ignored" in warning for warning in engine.status()["warnings"])


def test_status_is_json_serialisable(serve, students, tmp_path):
    frame, passed = students
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed))
    status = json.loads(json.dumps(engine.status()))
    assert status["mode"] == "real" and status["features"] == FEATURES and status["reason"] is None
    json.dumps(load_engine(tmp_path / "absent.pkl").status())


class ProbaBroken(LogisticRegression):
    """A team model whose predict_proba is broken but whose decision_function works."""

    def predict_proba(self, X):
        raise RuntimeError("boom")


class EverythingBroken(LogisticRegression):
    def predict_proba(self, X):
        raise RuntimeError("boom")

    def decision_function(self, X):
        raise RuntimeError("boom")

    def predict(self, X):
        raise RuntimeError("boom")


def test_failing_predict_proba_falls_back_to_decision_function(serve, students):
    frame, passed = students
    engine = serve(ProbaBroken().fit(frame, passed))
    status = engine.status()
    assert status["mode"] == "real" and status["scoring_method"] == "decision_function"
    assert any("predict_proba failed" in warning for warning in status["warnings"])


def test_model_failing_every_smoke_prediction_is_mock(serve, students):
    frame, passed = students
    _assert_mock(serve(EverythingBroken().fit(frame, passed)), "smoke prediction")


def test_card_with_default_outside_bounds_is_ignored(serve, students):
    frame, passed = students
    card = {"version": "x", "features": [{"name": "EDAD", "default": 5, "min": 14}]}
    engine = serve(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed), card=card)
    assert engine.version.startswith("model-")
