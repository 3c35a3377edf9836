"""What-if and predict with a real model trained in the test."""

from __future__ import annotations

from students import STUDENT

BODY = {"cod_persona": 42, "cod_curso": "CS2H1", "features": STUDENT}


async def test_predict_with_a_real_model_returns_probability_and_explanations(make_client, real_engine, auth_headers):
    async with make_client(engine=real_engine) as client:
        response = await client.post("/api/v1/predict", json=BODY, headers=auth_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert 0.0 <= body["prediction"]["score"] <= 1.0
    assert (body["prediction"]["label"] == "Aprobar") == (body["prediction"]["score"] >= 0.5)
    assert body["version"] == real_engine.version != "mock"
    impacts = [abs(item["impact"]) for item in body["explain"]]
    assert impacts == sorted(impacts, reverse=True)
    assert body["explain"][0]["feature"] in ("AVG_NG", "PRCTJE-NPC-S")


async def test_raising_a_feature_with_positive_effect_raises_the_score(
    make_client, real_engine, auth_headers, count_rows
):
    async with make_client(engine=real_engine) as client:
        up = await client.post("/api/v1/whatif", json={**BODY, "deltas": {"AVG_NG": 4}}, headers=auth_headers)
        down = await client.post("/api/v1/whatif", json={**BODY, "deltas": {"AVG_NG": -4}}, headers=auth_headers)
        plain = await client.post("/api/v1/predict", json=BODY, headers=auth_headers)
    assert up.status_code == 200, up.text
    up_body, down_body = up.json(), down.json()
    assert up_body["prediction"]["score"] > up_body["baseline_score"]
    assert down_body["prediction"]["score"] < down_body["baseline_score"]
    assert up_body["baseline_score"] == plain.json()["prediction"]["score"]
    assert up_body["applied_deltas"] == {"AVG_NG": 4.0}
    assert count_rows() == 3


async def test_unknown_delta_name_is_422_and_stores_nothing(make_client, real_engine, auth_headers, count_rows):
    async with make_client(engine=real_engine) as client:
        response = await client.post(
            "/api/v1/whatif", json={**BODY, "deltas": {"horas_estudio": 2}}, headers=auth_headers
        )
    assert response.status_code == 422
    assert any(d["field"] == "deltas.horas_estudio" for d in response.json()["details"])
    assert count_rows() == 0


async def test_unknown_or_non_numeric_features_are_422_naming_each_field(
    make_client, real_engine, auth_headers, count_rows
):
    features = {**STUDENT, "EDAD": "veinte", "PTJE_INGRES": 130}
    async with make_client(engine=real_engine) as client:
        response = await client.post("/api/v1/predict", json={**BODY, "features": features}, headers=auth_headers)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["details"]}
    assert {"features.EDAD", "features.PTJE_INGRES"} <= fields
    assert count_rows() == 0 and count_rows("users") == 0
