"""`make run`: prepare and start both services on a machine with nothing but Python.

UniTrack API on :8000 (embedded SQLite, local auth, demo model) and the forecast API on :8001
(embedded SQLite, the latest pipeline run). Stays in the foreground; Ctrl-C or SIGTERM stops every
process it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"
FORECAST = ROOT / "forecast"
PYTHON = sys.executable
UNITRACK_PORT = int(os.environ.get("UNITRACK_PORT", "8000"))
FORECAST_PORT = int(os.environ.get("FORECAST_PORT", "8001"))
DEMO_EMAIL = os.environ.get("DEMO_EMAIL", "demo@unitrack.local")

children: list[subprocess.Popen[bytes]] = []


def step(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return result.stdout.strip()


def service_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("APP_ENV", "dev")
    env.update(extra)
    return env


def start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A new process group per child, so Ctrl-C reaches them only through us and we stop them in order.
    proc = subprocess.Popen(args, cwd=cwd, env=env, start_new_session=True)
    children.append(proc)
    return proc


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server behind {url} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def serve(name: str, app: str, port: int, cwd: Path, env: dict[str, str], health_path: str) -> None:
    """Starts uvicorn serving ``app`` on loopback ``port`` and waits until ``health_path`` answers."""
    step(f"Starting {name} on http://127.0.0.1:{port}")
    server = start([PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)], cwd, env)
    wait_until_up(f"http://127.0.0.1:{port}{health_path}", server)


def stop_children(*_: object) -> None:
    for proc in children:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in children:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    sys.exit(0)


def prepare_unitrack() -> dict[str, str]:
    env = service_env({"AUTH_MODE": "local"})
    if not (ROOT / "ml_models" / "models" / "model.pkl").exists():
        step("Training the demo model (synthetic data) into ml_models/models/")
        subprocess.run([PYTHON, "ml_models/src/train.py"], cwd=ROOT, check=True)
    step("Migrating the UniTrack database (embedded SQLite unless DATABASE_URL is set)")
    subprocess.run([PYTHON, "-m", "app.cli", "migrate"], cwd=BACKEND, env=env, check=True)
    return env


def prepare_forecast() -> tuple[dict[str, str], str]:
    env = service_env({})
    step("Migrating the forecast database (embedded SQLite unless DATABASE_URL is set)")
    subprocess.run([PYTHON, "-m", "api.cli", "migrate"], cwd=FORECAST, env=env, check=True)
    results_dir = Path(env.get("RESULTS_DIR", FORECAST / "pipelines" / "results"))
    if not (results_dir / "LATEST").exists():
        step("No forecast run is published yet: running the pipeline once (about 3 minutes)")
        subprocess.run([PYTHON, "-m", "pipelines.run"], cwd=FORECAST, env=env, check=True)
    step("Ensuring the forecast demo user (dev only)")
    credentials = run([PYTHON, "-m", "api.cli", "ensure-demo-user"], cwd=FORECAST, env=env)
    return env, credentials


def main() -> None:
    signal.signal(signal.SIGINT, stop_children)
    signal.signal(signal.SIGTERM, stop_children)

    unitrack_env = prepare_unitrack()
    serve("the UniTrack API", "app.main:app", UNITRACK_PORT, BACKEND, unitrack_env, "/api/v1/healthz")

    forecast_env, credentials = prepare_forecast()
    serve("the forecast API", "api.main:app", FORECAST_PORT, FORECAST, forecast_env, "/api/v1/health/live")

    token = run([PYTHON, "-m", "app.cli", "token", "--email", DEMO_EMAIL], cwd=BACKEND, env=unitrack_env)
    print(
        f"""
==========================================================================
UniTrack API   http://127.0.0.1:{UNITRACK_PORT}/api/v1/docs   (local auth mode)
  Get a token:  cd backend && ../.venv/bin/python -m app.cli token --email you@example.com
  Try it:
    curl -s -X POST http://127.0.0.1:{UNITRACK_PORT}/api/v1/predict \\
      -H 'Authorization: Bearer {token}' \\
      -H 'Content-Type: application/json' \\
      -d '{{"cod_persona": 8839, "cod_curso": "CS2H1", "features": {{"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3, "AVG_NG": 13.5, "PRCTJE-NPC-S": 20}}}}'

Forecast API   http://127.0.0.1:{FORECAST_PORT}/docs
{credentials}
Ctrl-C stops both.
==========================================================================""",
        flush=True,
    )
    while all(proc.poll() is None for proc in children):
        time.sleep(0.5)
    exited = next(proc for proc in children if proc.poll() is not None)
    print(f"a server exited with code {exited.returncode}; stopping the rest", file=sys.stderr)
    stop_children()


if __name__ == "__main__":
    main()
