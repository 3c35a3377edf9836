"""The reference: a bare FastAPI endpoint that only calls the UniTrack model engine.

No auth, no database, no middleware: the same ``await load_engine(MODEL_PATH).apredict(features)``
call that ``POST /api/v1/predict`` makes (compiled graph on the loop once verified, else the reference
scorer in its thread), so the gap between the two is what auth, validation, persistence and logging
cost.

    cd backend && MODEL_PATH=... uvicorn --app-dir ../bench/unitrack reference_app:app
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI

from app.services.engine_loading import load_engine

engine = load_engine(os.environ.get("MODEL_PATH", "../ml_models/models/model.pkl"))
engine.start()  # compile and verify in the background, as the API does
app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, Any]:
    return {"status": "ok", "mode": "mock" if engine.is_mock else "real", "serving": engine.status().get("serving")}


@app.post("/predict")
async def predict(body: dict[str, Any]) -> dict[str, Any]:
    result = await engine.apredict(body["features"])
    return {
        "prediction": {"label": result.label, "score": result.score},
        "explain": [{"feature": i.feature, "impact": i.impact} for i in result.explain],
        "version": result.version,
    }
