"""The kit's request-id and guard middleware, in the order both services stack them:
request context → CORS → guard → app."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from servicekit import middleware
from servicekit.errors import install_error_handlers
from servicekit.middleware import GuardMiddleware, RequestContextMiddleware

ORIGIN = "https://app.example"
LIMIT = 64


class _Recorder:
    """Stands in for a module's logger: each call with its keyword fields and the bound context."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def _record(self, level: str, event: str, **fields: Any) -> None:
        context = structlog.contextvars.get_contextvars()
        self.lines.append({"level": level, "event": event, **context, **fields})

    def info(self, event: str, **fields: Any) -> None:
        self._record("info", event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        self._record("error", event, **fields)


class _Explodes:
    """A middleware between the request context and the guard that fails (as CORS might)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/between":
            raise RuntimeError("secret detail between the middleware")
        await self.app(scope, receive, send)


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/context")
    async def context(request: Request) -> dict[str, Any]:
        return {"bound": structlog.contextvars.get_contextvars(), "state": request.scope["state"]["request_id"]}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail password=hunter2")

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    app.add_middleware(GuardMiddleware, max_body_bytes=LIMIT)
    app.add_middleware(_Explodes)
    app.add_middleware(CORSMiddleware, allow_origins=[ORIGIN], expose_headers=["X-Request-ID"])
    app.add_middleware(RequestContextMiddleware)
    return app


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    recorder = _Recorder()
    monkeypatch.setattr(middleware, "access_log", recorder)
    monkeypatch.setattr(middleware, "log", recorder)
    return recorder


@pytest.fixture
def client(logs: _Recorder) -> Iterator[TestClient]:
    with TestClient(_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def _assert_error(response: Any, status: int, error: str) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status
    assert set(body) == {"error", "message", "details", "status_code", "timestamp"}
    assert body["error"] == error and body["status_code"] == status
    assert re.fullmatch(r"[0-9a-f]{32}|[A-Za-z0-9._-]{1,64}", response.headers["x-request-id"])
    return body


def test_a_sane_request_id_is_echoed_and_bound_to_the_request(client: TestClient) -> None:
    response = client.get("/context", headers={"X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
    assert response.json() == {"bound": {"request_id": "trace-123"}, "state": "trace-123"}


@pytest.mark.parametrize("hostile", [b"a b\tc", b"x" * 65, b"", b"id;drop", "ü".encode("latin-1")])
def test_a_hostile_or_long_request_id_is_replaced_by_a_fresh_one(client: TestClient, hostile: bytes) -> None:
    response = client.get("/context", headers={"X-Request-ID": hostile})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert response.json()["bound"]["request_id"] == response.headers["x-request-id"]


def test_a_request_id_of_64_characters_is_kept(client: TestClient) -> None:
    assert client.get("/context", headers={"X-Request-ID": "x" * 64}).headers["x-request-id"] == "x" * 64


def test_context_left_in_the_worker_is_cleared_before_and_after_the_request(logs: _Recorder) -> None:
    async def request_in_a_used_context() -> tuple[httpx.Response, dict[str, Any]]:
        structlog.contextvars.bind_contextvars(user="someone-else", request_id="stale")
        transport = httpx.ASGITransport(app=_app())  # runs the app in this task's context
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/context")
        return response, structlog.contextvars.get_contextvars()

    response, after = asyncio.run(request_in_a_used_context())
    assert response.json()["bound"] == {"request_id": response.headers["x-request-id"]}
    assert after == {}


def test_each_request_writes_one_access_line_with_its_id(client: TestClient, logs: _Recorder) -> None:
    client.get("/context", headers={"X-Request-ID": "req-42"})
    access = [line for line in logs.lines if line["event"] == "request"]
    assert len(access) == 1
    line = access[0]
    assert {k: line[k] for k in ("level", "request_id", "method", "path", "status")} == {
        "level": "info",
        "request_id": "req-42",
        "method": "GET",
        "path": "/context",
        "status": 200,
    }
    assert line["duration_ms"] >= 0 and "client" in line


def test_the_access_line_can_be_turned_off(logs: _Recorder) -> None:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware, access_log=False)
    with TestClient(app) as quiet:
        assert quiet.get("/nothing").status_code == 404
    assert logs.lines == []


def test_an_unhandled_error_is_a_500_in_the_error_shape_with_cors_and_the_request_id(
    client: TestClient, logs: _Recorder
) -> None:
    response = client.get("/boom", headers={"Origin": ORIGIN, "X-Request-ID": "req-500"})
    body = _assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert body["message"] == "Internal server error"
    assert response.headers["x-request-id"] == "req-500"
    assert response.headers["access-control-allow-origin"] == ORIGIN
    errors = [line for line in logs.lines if line["event"] == "unhandled_exception"]
    assert len(errors) == 1 and errors[0]["exc_type"] == "RuntimeError" and errors[0]["request_id"] == "req-500"
    assert [line["status"] for line in logs.lines if line["event"] == "request"] == [500]


def test_a_failure_outside_the_guard_is_still_a_500_with_the_request_id(client: TestClient, logs: _Recorder) -> None:
    response = client.get("/between", headers={"X-Request-ID": "req-between"})
    _assert_error(response, 500, "internal_error")
    assert "secret" not in response.text
    assert response.headers["x-request-id"] == "req-between"
    assert [line["status"] for line in logs.lines if line["event"] == "request"] == [500]


def test_a_declared_body_over_the_limit_is_413_before_it_is_read(client: TestClient) -> None:
    response = client.post("/echo", content=b"x" * (LIMIT + 1))
    assert (
        _assert_error(response, 413, "payload_too_large")["message"] == f"Request body exceeds the {LIMIT} byte limit"
    )


def test_a_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(LIMIT):
            yield b"xx"

    response = client.post("/echo", content=chunks())
    _assert_error(response, 413, "payload_too_large")


def test_a_body_at_the_limit_passes(client: TestClient) -> None:
    assert client.post("/echo", content=b"x" * LIMIT).json() == {"received": LIMIT}


@pytest.mark.parametrize("length", ["-1", "abc", "1e3"])
def test_a_content_length_that_is_not_a_number_is_400(client: TestClient, length: str) -> None:
    response = client.post("/echo", content=b"{}", headers={"Content-Length": length})
    _assert_error(response, 400, "bad_request")


def test_the_error_body_is_json_with_its_length(client: TestClient) -> None:
    response = client.post("/echo", content=b"x" * (LIMIT + 1))
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    json.loads(response.content)
