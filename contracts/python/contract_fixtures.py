"""Records real API responses as JSON fixtures for the Zod contract tests (contracts/tests/).

Both services' pytest suites attach :meth:`FixtureRecorder.hook` to their httpx test clients. The
first successful JSON response per OpenAPI operation, and the first error per status code, are kept.
The schema a fixture is checked against is read from the app's own OpenAPI document, so nothing here
knows either service. Volatile values (tokens, timestamps, ids, latencies) are pinned so that
re-running the suites leaves the committed files unchanged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

FIXTURES_ROOT = Path(__file__).resolve().parent.parent / "fixtures"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_PINNED_BY_KEY: dict[str, Any] = {
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.fixture.signature",
    "timestamp": "2026-01-15T10:30:00.000000Z",
    "expires_at": "2026-01-15T11:30:00.000000Z",
    "created_at": "2026-01-15T09:00:00.000000Z",
    "latency_ms": 1.0,
    "age_seconds": 1.0,
    # UniTrack's model runtime: when a reload ran, how long a compile took, how many live requests the
    # shadow check has re-scored so far (depends on timing).
    "at": "2026-01-15T10:30:00.000000+00:00",
    "compile_seconds": 1.0,
    "shadow_checked": 0,
}
_PINNED_UUID = "00000000-0000-4000-8000-000000000000"
_MODEL_VERSION = re.compile(r"^model-[0-9a-f]{12}$")


def _pin(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _PINNED_BY_KEY[k] if k in _PINNED_BY_KEY and v is not None else _pin(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pin(v) for v in value]
    if isinstance(value, str):
        if _UUID.match(value):
            return _PINNED_UUID
        if _MODEL_VERSION.match(value):  # model-<sha256[:12]>: the pickle's bytes vary between runs
            return "model-000000000000"
        return re.sub(r"generated [0-9.]+ h ago", "generated 1.0 h ago", value)
    return value


def _schema_label(schema: dict[str, Any] | None) -> str:
    """'Name' for a $ref, 'Name[]' for an array of $ref, 'inline' otherwise (resolved by endpoint)."""
    if not schema:
        return "inline"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    items = schema.get("items") or {}
    if schema.get("type") == "array" and "$ref" in items:
        return items["$ref"].rsplit("/", 1)[-1] + "[]"
    return "inline"


class FixtureRecorder:
    def __init__(self, api_name: str, prefix: str = "/api/v1") -> None:
        self.directory = FIXTURES_ROOT / api_name
        self.prefix = prefix
        self.fixtures: dict[str, dict[str, Any]] = {}
        self._routes: list[tuple[re.Pattern[str], str, dict[str, Any]]] | None = None

    def _bind(self, openapi: dict[str, Any]) -> None:
        # Templates with fewer parameters first, so /models/comparison wins over /models/{model_name}.
        ordered = sorted(openapi.get("paths", {}).items(), key=lambda item: item[0].count("{"))
        self._routes = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template.rstrip("/")) + "/?$"), template, ops)
            for template, ops in ordered
        ]

    def _operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for pattern, template, ops in self._routes or []:
            if method.lower() in ops and pattern.match(path):
                return template, ops[method.lower()]
        return None

    def _name(self, template: str) -> str:
        trimmed = template.removeprefix(self.prefix).strip("/")
        return re.sub(r"[{}]", "", trimmed).replace("/", "-") or "root"

    def record(self, response: httpx.Response) -> None:
        if not response.headers.get("content-type", "").startswith("application/json"):
            return
        request = response.request
        found = self._operation(request.method, request.url.path)
        status = response.status_code
        if status >= 400:
            body = response.json()
            if not (isinstance(body, dict) and {"error", "status_code"} <= body.keys()):
                return  # e.g. a readiness 503 that carries a health document, not an error
            name, schema = f"error-{status}", "ErrorResponse"
        elif found is not None:
            template, operation = found
            name = self._name(template)
            content = operation.get("responses", {}).get(str(status), {}).get("content", {})
            schema = _schema_label(content.get("application/json", {}).get("schema"))
        else:
            return
        if name in self.fixtures:
            return
        query = request.url.query.decode()
        self.fixtures[name] = {
            "endpoint": f"{request.method} {request.url.path}" + (f"?{query}" if query else ""),
            "status_code": status,
            "schema": schema,
            "response": _pin(response.json()),
        }

    def hook(self, app: Any):  # noqa: ANN201 - an httpx response event hook for this FastAPI app
        if self._routes is None:
            self._bind(app.openapi())

        async def on_response(response: httpx.Response) -> None:
            await response.aread()
            self.record(response)

        return on_response

    def write(self) -> None:
        if not self.fixtures:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, payload in sorted(self.fixtures.items()):
            path = self.directory / f"{name}.json"
            path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
