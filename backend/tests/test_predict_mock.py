"""POST /predict and /whatif with no model file: mock mode (score 0.5, version "mock")."""

from __future__ import annotations

from authkit import USER_A

PAYLOAD = {
    "cod_persona": 8839,
    "cod_curso": "CS2H1",
    "features": {"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3},
}


async def test_predict_in_mock_mode_returns_half_and_stores_the_inference(client, auth_headers, db_engine, count_rows):
    response = await client.post("/api/v1/predict", json=PAYLOAD, headers=auth_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["prediction"] == {"label": "Aprobar", "score": 0.5}
    assert body["version"] == "mock"
    assert {item["feature"] for item in body["explain"]} == set(PAYLOAD["features"])
    assert count_rows() == 1

    history = (await client.get("/api/v1/history", headers=auth_headers)).json()
    [item] = history["items"]
    assert item["id"] == body["id"]
    assert item["kind"] == "predict"
    assert item["cod_curso"] == "CS2H1"
    assert item["cod_persona"] == 8839
    assert item["input"]["cod_persona"] == 8839
    assert item["input"]["features"] == PAYLOAD["features"]
    assert item["output"]["prediction"] == body["prediction"]
    assert item["created_at"].endswith("Z")


async def test_whatif_in_mock_mode_simulates_plus_minus_002(client, auth_headers, count_rows):
    up = await client.post("/api/v1/whatif", json={**PAYLOAD, "deltas": {"CREDITOS": 2}}, headers=auth_headers)
    down = await client.post("/api/v1/whatif", json={**PAYLOAD, "deltas": {"CREDITOS": -1}}, headers=auth_headers)
    assert up.status_code == 200, up.text
    assert up.json()["prediction"]["score"] == 0.52
    assert up.json()["baseline_score"] == 0.5
    assert up.json()["applied_deltas"] == {"CREDITOS": 2.0}
    assert down.json()["prediction"]["score"] == 0.48
    assert down.json()["prediction"]["label"] == "Desaprobar"
    kinds = {i["kind"] for i in (await client.get("/api/v1/history", headers=auth_headers)).json()["items"]}
    assert kinds == {"whatif"}
    assert count_rows() == 2


async def test_predict_uses_the_token_subject_as_the_owner(client, auth_headers, db_engine):
    from sqlalchemy import text

    await client.post("/api/v1/predict", json=PAYLOAD, headers=auth_headers)
    with db_engine.connect() as conn:
        owner = conn.execute(text("SELECT user_id FROM inferences")).scalar_one()
    assert str(owner).replace("-", "") == USER_A.hex
