"""A pipeline with a string column (a OneHotEncoder or OrdinalEncoder on FAMILIA), served end to end:
levels accepted as strings for that feature only, unknown levels as the encoder says, scores exact."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from app.ml.runtime.runtime import CompileOptions
from app.ml.runtime.verify import TOLERANCE
from app.services.engine_loading import build_engine

from students import FEATURES, STUDENT, make_students

LEVELS = ("ciencias", "letras", "salud")
NUMERIC = ["PTJE_INGRESO", "EDAD", "CREDITOS", "AVG_NG", "PRCTJE-NPC-S"]


def _students_with_familia() -> tuple[pd.DataFrame, np.ndarray]:
    frame, passed = make_students(n_rows=900, seed=11)
    rng = np.random.default_rng(11)
    frame["FAMILIA"] = rng.choice(LEVELS, len(frame))
    # "salud" students pass more often, whatever their grades: the level matters to the model.
    passed = np.where((frame["FAMILIA"] == "salud") & (rng.random(len(frame)) < 0.4), 1, passed)
    return frame, passed


def _pipeline(encoder) -> Pipeline:
    columns = ColumnTransformer([("num", StandardScaler(), NUMERIC), ("familia", encoder, ["FAMILIA"])])
    return Pipeline([("columns", columns), ("model", LogisticRegression(max_iter=1000))])


@pytest.fixture(scope="module")
def trained():
    frame, passed = _students_with_familia()
    return frame, {
        "one_hot": _pipeline(OneHotEncoder(handle_unknown="ignore")).fit(frame, passed),
        "ordinal_strict": _pipeline(OrdinalEncoder()).fit(frame, passed),
    }


def _engine(tmp_path, model, compiled: bool):
    path = tmp_path / "model.pkl"
    joblib.dump(model, path)
    engine = build_engine(path, CompileOptions(enabled=compiled))
    assert not engine.is_mock, engine.status()["reason"]
    if compiled:
        assert engine.runtime.compile_now().kind == "onnx", engine.runtime.path.reason
    return engine


def _expected(model, features: dict) -> float:
    return float(model.predict_proba(pd.DataFrame([features]))[0, 1])


def test_the_schema_marks_the_categorical_feature_and_its_levels(trained, tmp_path):
    _, models = trained
    engine = _engine(tmp_path, models["one_hot"], compiled=False)
    spec = engine.schema.spec_by_name()["FAMILIA"]
    assert spec.levels == LEVELS and spec.accepts_unknown_level
    assert not any(engine.schema.spec_by_name()[n].is_categorical for n in NUMERIC)
    assert engine.status()["baselines"]["FAMILIA"] == {"value": "ciencias", "source": "first level of the encoder"}


@pytest.mark.parametrize("compiled", [False, True], ids=["reference", "onnx"])
async def test_a_categorical_pipeline_is_served_end_to_end(
    make_client, trained, tmp_path, auth_headers, count_rows, compiled
):
    _, models = trained
    model = models["one_hot"]
    engine = _engine(tmp_path, model, compiled)
    features = {**STUDENT, "FAMILIA": "salud"}
    async with make_client(engine=engine) as client:
        body = {"cod_persona": 5, "cod_curso": "CS2H1", "features": features}
        predict = await client.post("/api/v1/predict", json=body, headers=auth_headers)
        unknown = await client.post(
            "/api/v1/predict", headers=auth_headers, json={**body, "features": {**features, "FAMILIA": "arte"}}
        )
        whatif = await client.post("/api/v1/whatif", headers=auth_headers, json={**body, "deltas": {"AVG_NG": 2}})
        string_for_number = await client.post(
            "/api/v1/predict", headers=auth_headers, json={**body, "features": {**features, "EDAD": "veinte"}}
        )
        delta_on_level = await client.post(
            "/api/v1/whatif", headers=auth_headers, json={**body, "deltas": {"FAMILIA": 1}}
        )
    assert predict.status_code == 200, predict.text
    assert predict.json()["prediction"]["score"] == pytest.approx(_expected(model, features), abs=1e-5)
    impacts = {i["feature"]: i["impact"] for i in predict.json()["explain"]}
    assert impacts["FAMILIA"] > 0  # salud vs the baseline level (ciencias) pushes towards passing
    # handle_unknown="ignore": an unseen level scores like the encoder says (all zeros), exactly.
    assert unknown.status_code == 200
    assert unknown.json()["prediction"]["score"] == pytest.approx(
        _expected(model, {**features, "FAMILIA": "arte"}), abs=1e-5
    )
    assert whatif.status_code == 200
    shifted = {**features, "AVG_NG": STUDENT["AVG_NG"] + 2}
    assert whatif.json()["prediction"]["score"] == pytest.approx(_expected(model, shifted), abs=1e-5)
    assert string_for_number.status_code == 422
    assert string_for_number.json()["details"][0]["field"] == "features.EDAD"
    assert delta_on_level.status_code == 422 and delta_on_level.json()["details"][0]["field"] == "deltas.FAMILIA"
    assert count_rows() == 3  # the two 422s stored nothing


async def test_an_unknown_level_the_encoder_would_reject_is_a_422_listing_the_levels(
    make_client, trained, tmp_path, auth_headers, count_rows
):
    _, models = trained
    engine = _engine(tmp_path, models["ordinal_strict"], compiled=False)
    body = {"cod_persona": 5, "cod_curso": "CS2H1", "features": {**STUDENT, "FAMILIA": "arte"}}
    async with make_client(engine=engine) as client:
        response = await client.post("/api/v1/predict", json=body, headers=auth_headers)
        number = await client.post(
            "/api/v1/predict", headers=auth_headers, json={**body, "features": {**STUDENT, "FAMILIA": 3}}
        )
    assert response.status_code == 422
    detail = response.json()["details"][0]
    assert detail["field"] == "features.FAMILIA" and detail["code"] == "unknown_level"
    assert "ciencias, letras, salud" in detail["message"]
    assert number.status_code == 422 and "ciencias, letras, salud" in number.json()["details"][0]["message"]
    assert count_rows() == 0


def test_the_compiled_categorical_graph_is_exact_on_fresh_rows(trained, tmp_path):
    frame, models = trained
    model = models["one_hot"]
    engine = _engine(tmp_path, model, compiled=True)
    rng = np.random.default_rng(5)
    rows = frame.sample(400, random_state=1).reset_index(drop=True)
    rows["FAMILIA"] = rng.choice([*LEVELS, "otra"], len(rows))
    rows[["EDAD", "AVG_NG"]] = rows[["EDAD", "AVG_NG"]].round()
    block = rows[[*FEATURES, "FAMILIA"]].to_numpy(dtype=object)
    served = engine.runtime.scores(block)
    assert np.max(np.abs(served - model.predict_proba(rows[[*FEATURES, "FAMILIA"]])[:, 1])) <= TOLERANCE


async def test_a_categorical_boosting_pipeline_is_served_by_treelite_in_the_model_thread(trained, tmp_path):
    """OrdinalEncoder on FAMILIA feeding HistGradientBoosting's categorical splits: ONNX scores those
    splits wrong, so Treelite serves, behind the encoder, which keeps it off the event loop; an unknown
    level scores as scikit-learn scores it (the encoder's unknown_value, then "missing")."""
    frame, _ = trained
    _, passed = _students_with_familia()
    columns = ColumnTransformer(
        [("familia", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["FAMILIA"])],
        remainder="passthrough",
    )
    model = Pipeline(
        [
            ("columns", columns),
            ("model", HistGradientBoostingClassifier(max_iter=60, categorical_features=[0], random_state=0)),
        ]
    ).fit(frame, passed)
    path = tmp_path / "model.pkl"
    joblib.dump(model, path)
    engine = build_engine(path, CompileOptions(enabled=True))
    serving = engine.runtime.compile_now()
    assert serving.kind == "treelite", serving.reason
    assert not engine.runtime._compiled.runs_inline
    rows = frame.sample(400, random_state=2).reset_index(drop=True)
    rows["FAMILIA"] = np.random.default_rng(6).choice([*LEVELS, "otra"], len(rows))
    block = rows[[*FEATURES, "FAMILIA"]].to_numpy(dtype=object)
    served = await engine.runtime.ascores(block)
    assert np.max(np.abs(served - model.predict_proba(rows[[*FEATURES, "FAMILIA"]])[:, 1])) <= TOLERANCE
