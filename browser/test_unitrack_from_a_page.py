"""A front end on the allowed origin calls UniTrack with a bearer token; the same page on another
origin is refused by the browser, and nothing is stored."""

from __future__ import annotations

import uuid

import httpx
import joblib
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from testkit.students import STUDENT

PREDICT = {"cod_persona": 8839, "cod_curso": "CS2H1", "features": STUDENT}


def _stored_rows(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM inferences")).scalar_one())
    finally:
        engine.dispose()


def test_a_page_on_the_allowed_origin_reads_predict_history_401_and_422(page, unitrack_api, allowed_origin, model_path):
    token = unitrack_api.token("page@browser.test")
    base = unitrack_api.base
    page.open(allowed_origin)

    predicted = page.run("call", base, "/api/v1/predict", {"token": token, "method": "POST", "body": PREDICT})
    history = page.run("call", base, "/api/v1/history", {"token": token})
    no_token = page.run("call", base, "/api/v1/history", {})
    invalid = page.run(
        "call", base, "/api/v1/predict", {"token": token, "method": "POST", "body": {**PREDICT, "cod_persona": -1}}
    )

    assert predicted["status"] == 200, predicted
    expected = joblib.load(model_path).predict_proba(pd.DataFrame([STUDENT]))[0, 1]
    assert predicted["body"]["prediction"]["score"] == pytest.approx(expected, abs=1e-6)
    assert {impact["feature"] for impact in predicted["body"]["explain"]} <= set(STUDENT)
    assert history["status"] == 200
    assert history["body"]["total"] == 1
    assert history["body"]["items"][0]["id"] == predicted["body"]["id"]
    assert history["body"]["items"][0]["cod_curso"] == "CS2H1"
    # Errors carry CORS headers too, so the page can read their body and branch on the code.
    assert (no_token["status"], no_token["body"]["error"]) == (401, "unauthorized")
    assert (invalid["status"], invalid["body"]["error"]) == (422, "validation_error")
    assert [detail["field"] for detail in invalid["body"]["details"]] == ["cod_persona"]
    assert page.text("#calls li") == [
        "POST /api/v1/predict -> 200",
        "GET /api/v1/history -> 200",
        "GET /api/v1/history -> 401",
        "POST /api/v1/predict -> 422",
    ]


def test_the_same_page_on_another_origin_is_refused_and_nothing_is_stored(page, unitrack_api, other_origin):
    token = unitrack_api.token(f"other-origin-{uuid.uuid4().hex[:8]}@browser.test")
    before = _stored_rows(unitrack_api.database_url)
    page.open(other_origin)

    predicted = page.run(
        "call", unitrack_api.base, "/api/v1/predict", {"token": token, "method": "POST", "body": PREDICT}
    )
    history = page.run("call", unitrack_api.base, "/api/v1/history", {"token": token})

    assert predicted == {"error": "TypeError: Failed to fetch"}
    assert history == {"error": "TypeError: Failed to fetch"}
    console = "\n".join(page.console())
    assert "has been blocked by CORS policy" in console, console
    # The preflight was refused, so the POST itself was never sent: no row, and the user's history is empty.
    assert _stored_rows(unitrack_api.database_url) == before
    direct = httpx.get(f"{unitrack_api.base}/api/v1/history", headers={"Authorization": f"Bearer {token}"})
    assert direct.status_code == 200 and direct.json()["total"] == 0
