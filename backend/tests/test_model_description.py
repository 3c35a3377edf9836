"""GET /model describes the served model so a front end can build its form from it: each feature with
its type, range, levels, default, baseline and description; the labels and the positive class."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import joblib
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from app.ml.runtime.runtime import CompileOptions
from app.services.engine_loading import build_engine

from authkit import bearer, make_token
from students import FEATURES, make_students


async def test_the_model_is_described_feature_by_feature_from_its_card(make_client, tmp_path):
    frame, passed = make_students(n_rows=600, seed=5)
    model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=500))]).fit(frame, passed)
    path = tmp_path / "model.pkl"
    joblib.dump(model, path)
    (tmp_path / "model.json").write_text(
        json.dumps(
            {
                "version": "semester-v3",
                "label_names": {"positive": "Aprueba", "negative": "Reprueba"},
                "features": [
                    {
                        "name": "PTJE_INGRESO",
                        "default": 130.0,
                        "min": 0,
                        "max": 200,
                        "description": "Puntaje de ingreso",
                    },
                    *FEATURES[1:],
                ],
            }
        )
    )
    engine = build_engine(path, CompileOptions(enabled=False))
    async with make_client(engine=engine) as client:
        body = (await client.get("/api/v1/model", headers=bearer(make_token()))).json()
    assert body["version"] == "semester-v3" and body["mode"] == "real" and body["scoring_method"] == "predict_proba"
    assert body["labels"] == {"positive": "Aprueba", "negative": "Reprueba"} and body["positive_class"] == 1
    assert datetime.fromisoformat(body["loaded_at"].replace("Z", "+00:00")) <= datetime.now(UTC)
    specs = {spec["name"]: spec for spec in body["feature_specs"]}
    assert [spec["name"] for spec in body["feature_specs"]] == FEATURES == body["features"]
    ptje = specs["PTJE_INGRESO"]
    assert ptje["type"] == "number" and (ptje["minimum"], ptje["maximum"], ptje["default"]) == (0, 200, 130.0)
    assert ptje["description"] == "Puntaje de ingreso" and ptje["baseline"] == 130.0
    assert specs["EDAD"]["description"] is None and isinstance(specs["EDAD"]["baseline"], float)


async def test_a_categorical_feature_is_described_with_its_levels(make_client, tmp_path):
    frame, passed = make_students(n_rows=600, seed=6)
    frame["FAMILIA"] = np.random.default_rng(6).choice(["ciencias", "letras", "salud"], len(frame))
    columns = ColumnTransformer(
        [("num", StandardScaler(), FEATURES), ("familia", OneHotEncoder(handle_unknown="ignore"), ["FAMILIA"])]
    )
    model = Pipeline([("columns", columns), ("clf", LogisticRegression(max_iter=500))]).fit(frame, passed)
    path = tmp_path / "model.pkl"
    joblib.dump(model, path)
    engine = build_engine(path, CompileOptions(enabled=False))
    async with make_client(engine=engine) as client:
        body = (await client.get("/api/v1/model", headers=bearer(make_token()))).json()
    familia = next(spec for spec in body["feature_specs"] if spec["name"] == "FAMILIA")
    assert familia["type"] == "categorical" and familia["levels"] == ["ciencias", "letras", "salud"]
    assert familia["accepts_unknown_level"] is True and familia["baseline"] in familia["levels"]
