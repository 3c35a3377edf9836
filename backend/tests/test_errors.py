"""Every error uses the one shape; failed requests store nothing."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest

PAYLOAD = {"cod_persona": 1, "cod_curso": "CS2H1", "features": {"EDAD": 20}}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def assert_error_shape(response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "message", "details", "status_code", "timestamp"}
    assert body["error"] == error
    assert body["status_code"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert TIMESTAMP.match(body["timestamp"])
    return body


async def test_unknown_path_is_404_in_the_error_shape(client):
    assert_error_shape(await client.get("/api/v1/nope"), 404, "not_found")


async def test_wrong_method_is_405_in_the_error_shape(client, auth_headers):
    assert_error_shape(await client.delete("/api/v1/predict", headers=auth_headers), 405, "method_not_allowed")


async def test_missing_token_is_401_in_the_error_shape(client):
    assert_error_shape(await client.post("/api/v1/predict", json=PAYLOAD), 401, "unauthorized")


async def test_oversized_body_is_413_and_stores_nothing(client, auth_headers, count_rows):
    big = {**PAYLOAD, "features": {f"F{i}": i for i in range(20000)}}
    response = await client.post("/api/v1/predict", json=big, headers=auth_headers)
    assert_error_shape(response, 413, "payload_too_large")
    assert count_rows() == 0


async def test_oversized_streamed_body_without_length_is_413(client, auth_headers):
    async def chunks():
        for _ in range(200):
            yield b"x" * 1024

    response = await client.post(
        "/api/v1/predict",
        content=chunks(),
        headers={**auth_headers, "Content-Type": "application/json"},
    )
    assert_error_shape(response, 413, "payload_too_large")


async def test_validation_errors_are_422_with_one_detail_per_field_and_store_nothing(client, auth_headers, count_rows):
    bad = {"cod_persona": -5, "cod_curso": "", "features": {"EDAD": 20}, "extra": 1}
    body = assert_error_shape(
        await client.post("/api/v1/predict", json=bad, headers=auth_headers), 422, "validation_error"
    )
    fields = sorted(d["field"] for d in body["details"])
    assert fields == ["cod_curso", "cod_persona", "extra"]
    assert all(d["code"] and d["message"] for d in body["details"])
    assert count_rows() == 0 and count_rows("users") == 0


@pytest.mark.parametrize("features", [{"EDAD": float("nan")}, {"EDAD": True}, {"EDAD": None}, {"EDAD": [1]}])
async def test_non_finite_or_non_numeric_values_are_422(client, auth_headers, count_rows, features):
    import json

    content = json.dumps({**PAYLOAD, "features": features})  # json.dumps writes NaN as a bare literal
    response = await client.post(
        "/api/v1/predict", content=content, headers={**auth_headers, "Content-Type": "application/json"}
    )
    body = assert_error_shape(response, 422, "validation_error")
    assert body["details"][0]["field"] == "features.EDAD"
    assert count_rows() == 0


async def test_malformed_json_is_422_and_stores_nothing(client, auth_headers, count_rows):
    response = await client.post(
        "/api/v1/predict", content=b'{"cod_persona": 1,', headers={**auth_headers, "Content-Type": "application/json"}
    )
    assert_error_shape(response, 422, "validation_error")
    assert count_rows() == 0


async def test_wrong_content_type_is_a_4xx_in_the_error_shape(client, auth_headers):
    response = await client.post(
        "/api/v1/predict", content=b"cod_persona=1", headers={**auth_headers, "Content-Type": "text/plain"}
    )
    assert 400 <= response.status_code < 500
    assert response.json()["status_code"] == response.status_code


async def test_an_unexpected_failure_is_a_500_that_reveals_nothing_and_stores_nothing(
    make_client, auth_headers, count_rows
):
    class ExplodingEngine:
        is_mock, version, feature_names = False, "boom", ["EDAD"]

        def status(self):
            return {"mode": "real", "version": "boom", "path": "-", "reason": None, "features": []}

        def start(self):
            pass

        async def apredict(self, features):
            raise RuntimeError("secret internals: password=hunter2")

    async with make_client(engine=ExplodingEngine()) as client:
        response = await client.post("/api/v1/predict", json=PAYLOAD, headers=auth_headers)
    body = assert_error_shape(response, 500, "internal_error")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert body["details"] is None
    assert count_rows() == 0


async def test_production_with_an_unusable_model_answers_503_not_a_mock_score(
    make_client, auth_headers, count_rows, tmp_path
):
    from app.services.engine_loading import build_engine

    broken = tmp_path / "model.pkl"
    broken.write_bytes(b"not a pickle")
    engine = build_engine(broken, allow_mock=False)  # what APP_ENV=prod without ALLOW_MOCK_MODEL builds
    assert engine.status()["mode"] == "unavailable"
    async with make_client(engine=engine) as client:
        for path, body in (("/api/v1/predict", PAYLOAD), ("/api/v1/whatif", {**PAYLOAD, "deltas": {"EDAD": 1}})):
            response = await client.post(path, json=body, headers=auth_headers)
            body = assert_error_shape(response, 503, "model_unavailable")
            # No score anywhere in the answer (the timestamp aside: "…:30.504540Z" contains "0.5").
            assert "0.5" not in str({k: v for k, v in body.items() if k != "timestamp"})
        ready = await client.get("/api/v1/readyz")
        assert ready.status_code == 503 and ready.json()["model"]["mode"] == "unavailable"
        assert "cannot unpickle" in ready.json()["model"]["reason"]
    assert count_rows() == 0
    # The same broken file outside production, or with ALLOW_MOCK_MODEL=true, is the documented mock.
    assert build_engine(broken).status()["mode"] == "mock"


def test_only_production_refuses_the_mock_unless_allowed(settings_factory):
    assert settings_factory().mock_model_allowed
    prod = dict(
        app_env="prod",
        frontend_origin="https://app.example.com",
        database_url="postgresql://u:p@db.example.com/unitrack",
        supabase_jwks_url="https://x.supabase.co/auth/v1/.well-known/jwks.json",
    )
    assert not settings_factory(**prod).mock_model_allowed
    assert settings_factory(**prod, allow_mock_model=True).mock_model_allowed


async def test_a_write_the_database_rejects_stores_neither_the_user_nor_the_inference(
    make_client, auth_headers, count_rows, monkeypatch
):
    from app.services import predictions

    from authkit import USER_B, bearer, make_token

    # Every response gets the same id, so the second user's inference collides with the first's
    # primary key: the database rejects the write after the user part of it has run.
    fixed = uuid.uuid4()
    monkeypatch.setattr(predictions, "uuid", SimpleNamespace(uuid4=lambda: fixed))
    async with make_client() as client:
        first = await client.post("/api/v1/predict", json=PAYLOAD, headers=auth_headers)
        assert first.status_code == 200, first.text
        second = await client.post("/api/v1/predict", json=PAYLOAD, headers=bearer(make_token(user=USER_B)))
    assert_error_shape(second, 500, "internal_error")
    assert count_rows() == 1 and count_rows("users") == 1  # user B was not kept


async def test_a_model_that_fails_on_valid_input_is_a_500_with_a_stable_code_and_stores_nothing(
    make_client, auth_headers, count_rows
):
    from app.services.inference import InferenceError

    class RefusingEngine:
        is_mock, version, feature_names = False, "refuses", ["EDAD"]

        def status(self):
            return {"mode": "real", "version": "refuses", "path": "-", "reason": None, "features": []}

        def start(self):
            pass

        async def apredict(self, features):
            raise InferenceError("model refuses failed to score: ValueError: boom")

    async with make_client(engine=RefusingEngine()) as client:
        response = await client.post("/api/v1/predict", json=PAYLOAD, headers=auth_headers)
    assert_error_shape(response, 500, "inference_failed")
    assert "boom" not in response.text
    assert count_rows() == 0
