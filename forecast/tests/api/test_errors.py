"""One error shape for every failure, and the HTTP hygiene around it."""

import json
import re

import pytest

from servicekit.errors import ErrorResponse

Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    ErrorResponse.model_validate(body)
    assert body["status_code"] == status and Z.match(body["timestamp"])
    return body


async def test_401_without_token(client):
    assert_error(await client.get("/api/v1/forecasts/latest"), 401)


async def test_404_for_unknown_paths(client):
    body = assert_error(await client.get("/api/v1/nowhere"), 404)
    assert body["error"] == "not_found"


async def test_405_for_wrong_method_lists_allowed_methods(client):
    response = await client.get("/api/v1/auth/login")
    assert_error(response, 405)
    assert response.headers["allow"] == "POST"


async def test_413_for_an_oversized_body(client, settings):
    payload = {"username": "a" * (settings.max_body_bytes + 10), "password": "x"}
    body = assert_error(await client.post("/api/v1/auth/login", json=payload), 413)
    assert body["error"] == "payload_too_large"


async def test_413_for_an_oversized_chunked_body(client, settings):
    async def chunks():
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = await client.post("/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(response, 413)


async def test_422_gives_one_detail_per_field(client):
    response = await client.post("/api/v1/auth/login", json={"username": "", "password": 5})
    body = assert_error(response, 422)
    assert sorted(d["field"] for d in body["details"]) == ["password", "username"]
    response = await client.post("/api/v1/auth/login", json={})
    assert sorted(d["field"] for d in assert_error(response, 422)["details"]) == ["password", "username"]


async def test_malformed_json_is_a_422_naming_json_invalid_and_wrong_content_type_a_4xx(client):
    """Invalid JSON is a 422, as in UniTrack (one error shape for both services; issue 18)."""
    response = await client.post(
        "/api/v1/auth/login", content=b'{"username": "a",', headers={"Content-Type": "application/json"}
    )
    body = assert_error(response, 422)
    assert body["error"] == "validation_error" and body["details"][0]["code"] == "json_invalid"
    response = await client.post(
        "/api/v1/auth/login",
        content=b"username=a&password=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= response.status_code < 500
    ErrorResponse.model_validate(response.json())


async def test_429_has_retry_after(client, user):
    for _ in range(3):
        await client.post("/api/v1/auth/login", json={"username": "alice", "password": "bad"})
    response = await client.post("/api/v1/auth/login", json={"username": "alice", "password": "bad"})
    assert_error(response, 429)
    assert int(response.headers["retry-after"]) > 0


async def test_500_reveals_no_internals(client, auth, published, monkeypatch, capsys):
    from api.services import forecasts

    def explode(*_, **__):
        raise RuntimeError("secret internal detail /srv/db password=hunter2")

    monkeypatch.setattr(forecasts, "dashboard", explode)
    response = await client.get("/api/v1/forecasts/dashboard", headers=auth)
    body = assert_error(response, 500)
    assert body["error"] == "internal_error"
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert response.headers["x-request-id"]


async def test_cors_allows_only_the_frontend_origin(client):
    ok = await client.options(
        "/api/v1/health", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"}
    )
    assert ok.headers["access-control-allow-origin"] == "http://localhost:3000"
    bad = await client.options(
        "/api/v1/health", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in bad.headers


async def test_request_id_is_echoed_or_generated(client):
    response = await client.get("/api/v1/health/live", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert len((await client.get("/api/v1/health/live")).headers["x-request-id"]) == 32


async def test_logs_never_contain_passwords_or_tokens(client, user, make_settings, recorder, capsys):
    from api.main import create_app
    from tests.conftest import PASSWORD, _client_for

    app = create_app(make_settings(log_level="DEBUG", log_json=True))
    async for c in _client_for(app, recorder):
        token = (await c.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})).json()
        await c.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong-secret-pw"})
        await c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "request" and line.get("request_id") for line in lines)
    assert PASSWORD not in out and "wrong-secret-pw" not in out and token["access_token"] not in out


@pytest.mark.parametrize("path", ["/api/v1/forecasts/", "/api/v1/forecasts", "/api/v1/models", "/api/v1/images"])
async def test_collection_routes_answer_with_and_without_slash_without_redirect(client, auth, published, path):
    response = await client.get(path, headers=auth)
    assert response.status_code == 200
