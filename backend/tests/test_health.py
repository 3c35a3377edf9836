"""Liveness and readiness."""

from __future__ import annotations

import re

from authkit import bearer, make_token


async def test_healthz_returns_ok(client):
    response = await client.get("/api/v1/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_healthz_answers_head_probes_without_a_body(client):
    response = await client.head("/api/v1/healthz")
    assert response.status_code == 200 and response.content == b""


async def test_every_response_carries_a_request_id_and_echoes_a_sane_one(client):
    generated = await client.get("/api/v1/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    echoed = await client.get("/api/v1/healthz", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["x-request-id"] == "trace-123"
    hostile = await client.get("/api/v1/healthz", headers={"X-Request-ID": "a b\tc" * 100})
    assert hostile.headers["x-request-id"] != "a b\tc" * 100


async def test_readiness_is_degraded_in_mock_mode(client):
    response = await client.get("/api/v1/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["model"]["mode"] == "mock"
    assert body["model"]["version"] == "mock"
    assert body["database"]["status"] == "ok"
    assert body["auth"]["mode"] == "supabase"
    assert "path" not in body["model"]
    assert "/" not in (body["model"]["reason"] or "")


async def test_readiness_is_ok_with_a_real_model_and_reports_jwks_state(make_client, real_engine):
    async with make_client(engine=real_engine) as client:
        await client.get("/api/v1/auth/me", headers=bearer(make_token()))
        body = (await client.get("/api/v1/readyz")).json()
    assert body["status"] == "ok"
    assert body["model"]["mode"] == "real"
    assert body["model"]["version"] == real_engine.version
    assert body["auth"]["jwks"]["fetched"] is True
    assert body["auth"]["jwks"]["keys"] == 2


async def test_readiness_is_503_and_names_the_database_when_it_is_down(make_client):
    down = "postgresql://postgres@127.0.0.1:9/nowhere"
    async with make_client(database_url=down, db_connect_timeout_seconds=1) as client:
        response = await client.get("/api/v1/readyz")
        assert (await client.get("/api/v1/healthz")).status_code == 200
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == {"status": "unavailable"}
    assert "127.0.0.1:9" not in response.text


async def test_readiness_and_the_model_endpoint_say_which_path_serves_and_why(make_client, model_file):
    from app.ml.runtime.runtime import CompileOptions
    from app.services.engine_loading import build_engine

    engine = build_engine(model_file, CompileOptions())
    async with make_client(engine=engine) as client:
        token = bearer(make_token())
        assert (await client.get("/api/v1/model")).status_code == 401
        engine.runtime.compile_now()  # what the background thread does after start-up
        ready = (await client.get("/api/v1/readyz")).json()
        info = (await client.get("/api/v1/model", headers=token)).json()
    engine.runtime.close()
    assert ready["model"]["serving"]["path"] == "onnx" == info["serving"]["path"]
    assert info["mode"] == "real" and info["estimator"] == "Pipeline" and info["version"] == engine.version
    verification = info["serving"]["verification"]
    assert verification["rows"] >= 2000 and verification["max_abs_diff"] <= verification["tolerance"] == 1e-5
    assert verification["label_flips"] == 0 and "verified" in info["serving"]["reason"]


async def test_the_model_endpoint_in_mock_mode_says_why(client):
    body = (await client.get("/api/v1/model", headers=bearer(make_token()))).json()
    assert body["mode"] == "mock" and body["serving"] is None and "not found" in body["reason"]
    assert "/" not in body["reason"]
