"""Both services answer the same bad requests with the same error shape, codes and headers.

Each service runs as a real uvicorn process (its own virtualenv's imports, its own settings), twice:
once on a working SQLite database and once pointed at a PostgreSQL port where nothing listens, so
"database down" is a real refused connection. Only the timestamp and the human-readable messages may
differ between the two; everything a client branches on must not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit.ports import any_free_port
from testkit.servers import stop, wait_up

ROOT = Path(__file__).resolve().parents[2]
DOWN_DATABASE = "postgresql://postgres@127.0.0.1:{port}/down"


@dataclass
class Service:
    name: str
    base: str
    token: str | None
    predict_like: tuple[str, dict[str, Any]]  # a write that needs auth and the database
    unauthenticated: str  # a read that needs a token


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _serve(app: str, cwd: Path, env: dict[str, str], log: Path, health: str) -> tuple[subprocess.Popen, str]:
    port = any_free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=cwd,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_up(base + health, proc)
    return proc, base


# Each service's folder and its package (whose ``cli`` migrates and whose ``main:app`` serves).
FOLDER_AND_PACKAGE = {"unitrack": (ROOT / "backend", "app"), "forecast": (ROOT / "forecast", "api")}


def _start(name: str, health: str, env: dict[str, str], state: str, tmp: Path, processes: list) -> str:
    """Migrates (when the database is up) and serves one service from its folder; returns its base URL."""
    cwd, package = FOLDER_AND_PACKAGE[name]
    if state == "up":
        _run([sys.executable, "-m", f"{package}.cli", "migrate"], cwd, env)
    proc, base = _serve(f"{package}.main:app", cwd, env, tmp / f"{name}-{state}.log", health)
    processes.append(proc)
    return base


def _unitrack_env(tmp: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "dev",
        "AUTH_MODE": "local",
        "DATABASE_URL": database_url,
        "LOCAL_AUTH_KEY_PATH": str(tmp / "unitrack-key.pem"),
        "MODEL_PATH": str(tmp / "no-model.pkl"),
        "RATE_LIMIT_PREDICT": "2/minute",
        "RATE_LIMIT_BACKEND": "memory",
        "MODEL_WATCH_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }


def _forecast_env(tmp: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "dev",
        "DATABASE_URL": database_url,
        "RESULTS_DIR": str(tmp / "results"),
        "LOGIN_MAX_FAILURES": "2",
        "DB_CONNECT_TIMEOUT_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Service]]]:
    tmp = tmp_path_factory.mktemp("two-services")
    down = DOWN_DATABASE.format(port=any_free_port())
    backend = ROOT / "backend"
    processes: list[subprocess.Popen] = []
    try:
        found: dict[str, dict[str, Service]] = {"up": {}, "down": {}}
        for state, unitrack_db, forecast_db in (
            ("up", f"sqlite:///{tmp / 'unitrack.db'}", f"sqlite:///{tmp / 'forecast.db'}"),
            ("down", down, down),
        ):
            env = _unitrack_env(tmp, unitrack_db)
            base = _start("unitrack", "/api/v1/healthz", env, state, tmp, processes)
            token = _run([sys.executable, "-m", "app.cli", "token", "--email", "kit@test.local"], backend, env).strip()
            predict = ("/api/v1/predict", {"cod_persona": 1, "cod_curso": "CS2H1", "features": {"EDAD": 20}})
            found[state]["unitrack"] = Service("unitrack", base, token, predict, "/api/v1/history")
            env = _forecast_env(tmp, forecast_db)
            base = _start("forecast", "/api/v1/health/live", env, state, tmp, processes)
            login = ("/api/v1/auth/login", {"username": "nobody", "password": "wrong"})
            found[state]["forecast"] = Service("forecast", base, None, login, "/api/v1/forecasts/latest")
        yield found
    finally:
        for proc in processes:
            stop(proc)


def _shape(response: httpx.Response) -> dict[str, Any]:
    """Everything a client branches on: status, code, detail fields and codes, headers; not the
    timestamp or the wording."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert list(body) == ["error", "message", "details", "status_code", "timestamp"], body
    assert body["timestamp"].endswith("Z") and body["status_code"] == response.status_code
    details = body["details"]
    return {
        "status": response.status_code,
        "error": body["error"],
        "details": None if details is None else [(d["field"], d["code"]) for d in details],
        "detail_keys": None if details is None else sorted({k for d in details for k in d}),
        "retry_after": response.headers.get("retry-after") is not None,
    }


def _both(services: dict[str, Service], send) -> dict[str, dict[str, Any]]:
    with httpx.Client(timeout=30) as client:
        return {name: _shape(send(client, service)) for name, service in services.items()}


def _post(client: httpx.Client, service: Service, body: bytes | dict, headers: dict[str, str] | None = None):
    path, _ = service.predict_like
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    auth = {"Authorization": f"Bearer {service.token}"} if service.token else {}
    return client.post(
        service.base + path, content=content, headers={"Content-Type": "application/json", **auth, **(headers or {})}
    )


def test_invalid_json_is_the_same_422_in_both_services(services):
    shapes = _both(services["up"], lambda c, s: _post(c, s, b'{"broken": '))
    assert shapes["unitrack"] == shapes["forecast"]
    assert shapes["unitrack"]["status"] == 422 and shapes["unitrack"]["details"] == [(None, "json_invalid")]


def test_an_unknown_field_is_the_same_422_in_both_services(services):
    shapes = _both(services["up"], lambda c, s: _post(c, s, {**s.predict_like[1], "surprise": 1}))
    assert shapes["unitrack"] == shapes["forecast"]
    assert shapes["unitrack"]["details"] == [("surprise", "extra_forbidden")]


def test_a_missing_token_is_the_same_401_in_both_services(services):
    shapes = _both(services["up"], lambda c, s: c.get(s.base + s.unauthenticated))
    assert shapes["unitrack"] == shapes["forecast"]
    assert shapes["unitrack"]["status"] == 401 and shapes["unitrack"]["error"] == "unauthorized"


def test_an_unknown_path_is_the_same_404_in_both_services(services):
    shapes = _both(services["up"], lambda c, s: c.get(s.base + "/api/v1/nowhere"))
    assert shapes["unitrack"] == shapes["forecast"] and shapes["unitrack"]["error"] == "not_found"


def test_rate_limited_is_the_same_429_with_retry_after_in_both_services(services):
    def until_limited(client: httpx.Client, service: Service) -> httpx.Response:
        for _ in range(10):  # UniTrack allows 2 predictions a minute, forecast 2 failed logins
            response = _post(client, service, service.predict_like[1])
            if response.status_code == 429:
                return response
        raise AssertionError(f"{service.name} never limited: last {response.status_code} {response.text}")

    shapes = _both(services["up"], until_limited)
    assert shapes["unitrack"] == shapes["forecast"]
    assert shapes["unitrack"]["error"] == "rate_limited" and shapes["unitrack"]["retry_after"]


def test_database_down_is_the_same_503_with_retry_after_in_both_services(services):
    shapes = _both(services["down"], lambda c, s: _post(c, s, s.predict_like[1]))
    assert shapes["unitrack"] == shapes["forecast"]
    assert shapes["unitrack"]["status"] == 503 and shapes["unitrack"]["error"] == "database_unavailable"
    assert shapes["unitrack"]["retry_after"]
