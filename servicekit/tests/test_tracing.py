"""Tracing is off by default; with a span processor (a collector in production) one /predict in UniTrack
and one login in forecast each become a server span carrying the route and the request id."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each service in its own interpreter (both packages cannot share one process's imports), on SQLite,
# with the SDK's in-memory exporter standing in for the OTLP collector.
SCRIPT = """
import asyncio, json, sys
import httpx
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from servicekit.tracing import enable_tracing
{setup}
exporter = InMemorySpanExporter()
assert enable_tracing(app, "svc") is None  # no OTEL_EXPORTER_OTLP_ENDPOINT: off
enable_tracing(app, "svc", span_processor=SimpleSpanProcessor(exporter))

async def main():
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.post("{path}", json={body}, headers={headers})
    spans = [dict(s.attributes) | {{"kind": s.kind.name, "trace_id": f"{{s.context.trace_id:032x}}"}}
             for s in exporter.get_finished_spans()]
    print(json.dumps({{"status": response.status_code, "request_id": response.headers["x-request-id"],
                      "spans": spans}}))

asyncio.run(main())
"""


def _run(cwd: Path, setup: str, path: str, body: str, headers: str, tmp: Path) -> dict:
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update({"APP_ENV": "dev", "LOG_LEVEL": "WARNING"})
    code = SCRIPT.format(setup=setup.format(tmp=tmp), path=path, body=body, headers=headers)
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _server_span(result: dict) -> dict:
    servers = [s for s in result["spans"] if s["kind"] == "SERVER"]
    assert len(servers) == 1, result["spans"]
    return servers[0]


def test_one_predict_in_unitrack_becomes_a_server_span_with_its_route_and_request_id(tmp_path):
    setup = """
import subprocess
from app.core.config import Settings
from app.core.local_auth import LocalSigner
from app.cli import migrate
from app.main import create_app
settings = Settings(_env_file=None, app_env="dev", auth_mode="local", database_url="sqlite:///{tmp}/u.db",
                    local_auth_key_path="{tmp}/key.pem", model_path="{tmp}/none.pkl", model_watch_seconds=0)
migrate(settings)
token = LocalSigner(settings).issue("trace@test.local")
app = create_app(settings)
"""
    result = _run(
        ROOT / "backend",
        setup,
        "/api/v1/predict",
        '{"cod_persona": 1, "cod_curso": "CS2H1", "features": {"EDAD": 20}}',
        '{"Authorization": "Bearer " + token}',
        tmp_path,
    )
    span = _server_span(result)
    assert result["status"] == 200
    assert span["http.route"] == "/api/v1/predict" and span["request.id"] == result["request_id"]


def test_one_login_in_forecast_becomes_a_server_span_with_its_route_and_request_id(tmp_path):
    setup = """
from api.config import Settings
from api.db import migrate as migrations
from api.main import create_app
settings = Settings(_env_file=None, app_env="dev", database_url="sqlite:///{tmp}/f.db", results_dir="{tmp}/results")
migrations.upgrade(settings.sqlalchemy_url, "head")
app = create_app(settings)
"""
    result = _run(
        ROOT / "forecast", setup, "/api/v1/auth/login", '{"username": "nobody", "password": "wrong"}', "{}", tmp_path
    )
    span = _server_span(result)
    assert result["status"] == 401
    assert span["http.route"] == "/api/v1/auth/login" and span["request.id"] == result["request_id"]
