"""CORS allows only the configured front-end origins."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("origin", ["https://app.example.com", "https://preview.example.com"])
async def test_preflight_from_an_allowed_origin_is_accepted(client, origin):
    response = await client.options(
        "/api/v1/predict",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_preflight_for_deleting_history_from_an_allowed_origin_is_accepted(client):
    response = await client.options(
        "/api/v1/history/00000000-0000-0000-0000-000000000000",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "DELETE" in response.headers["access-control-allow-methods"]


async def test_preflight_from_another_origin_gets_no_cors_grant(client):
    response = await client.options(
        "/api/v1/predict",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_simple_requests_only_echo_allowed_origins(client):
    ok = await client.get("/api/v1/healthz", headers={"Origin": "https://app.example.com"})
    evil = await client.get("/api/v1/healthz", headers={"Origin": "https://evil.example.com"})
    assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in evil.headers


async def test_error_responses_also_carry_cors_headers(client):
    response = await client.get("/api/v1/auth/me", headers={"Origin": "https://app.example.com"})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
