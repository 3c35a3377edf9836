"""The naive one-file app a team would write first, doing the same work as POST /api/v1/predict:
a sync handler, PyJWKClient for the token, pandas + predict_proba on the student and one occlusion
row per feature, and a SQLAlchemy insert committed per request. The comparison point of the model
matrix (bench/unitrack/matrix.py); nothing here is shipped.

    MODEL_PATH=... JWKS_URL=... DATABASE_URL=... uvicorn --app-dir bench/unitrack naive_app:app
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import joblib
import jwt
import pandas as pd
from fastapi import FastAPI, Header, HTTPException
from sqlalchemy import create_engine, text

model = joblib.load(os.environ["MODEL_PATH"])
FEATURES = [str(name) for name in model.feature_names_in_]
BASELINES = json.loads(os.environ["BASELINES"])  # the same explanation baselines the API uses
jwks = jwt.PyJWKClient(os.environ["JWKS_URL"])
db = create_engine(os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg2://"), pool_size=16)
with db.begin() as connection:
    connection.execute(
        text(
            "CREATE TABLE IF NOT EXISTS naive_inferences (id uuid PRIMARY KEY, sub text, "
            "input jsonb, score double precision, created_at timestamptz DEFAULT now())"
        )
    )
app = FastAPI()


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict")
def predict(body: dict[str, Any], authorization: str = Header()) -> dict[str, Any]:
    token = authorization.removeprefix("Bearer ").strip()
    try:
        claims = jwt.decode(
            token, jwks.get_signing_key_from_jwt(token).key, algorithms=["ES256"], audience="authenticated"
        )
    except jwt.PyJWTError as exc:
        raise HTTPException(401, "invalid token") from exc
    student = pd.DataFrame([body["features"]])[FEATURES]
    rows = pd.concat([student] + [student.assign(**{f: BASELINES[f]}) for f in FEATURES], ignore_index=True)
    scores = model.predict_proba(rows)[:, list(model.classes_).index(1)]
    with db.begin() as connection:
        connection.execute(
            text("INSERT INTO naive_inferences (id, sub, input, score) VALUES (:id, :sub, :input, :s)"),
            {"id": uuid.uuid4(), "sub": claims["sub"], "input": json.dumps(body), "s": float(scores[0])},
        )
    return {
        "prediction": {"label": "Aprobar" if scores[0] >= 0.5 else "Desaprobar", "score": round(float(scores[0]), 6)},
        "explain": [{"feature": f, "impact": round(float(scores[0] - s), 6)} for f, s in zip(FEATURES, scores[1:])],
    }
