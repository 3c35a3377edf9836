"""Starts the Dockerfile's CMD (with this venv, against SQLite) and checks /healthz.

No Docker engine runs here, so this is the closest check that the image's start command, $PORT
handling and lazy ``app.main:app`` import work.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from testkit.ports import any_free_port

BACKEND_DIR = Path(__file__).resolve().parents[1]


def _dockerfile_cmd() -> list[str]:
    text = (BACKEND_DIR / "Dockerfile").read_text()
    [cmd] = re.findall(r"^CMD\s+(\[.*\])\s*$", text, flags=re.M)
    return json.loads(cmd)


@pytest.mark.slow
def test_dockerfile_command_serves_healthz_on_port(tmp_path):
    cmd = _dockerfile_cmd()
    assert "${PORT" in " ".join(cmd), "the CMD must honour $PORT"
    port = any_free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PORT": str(port),
        "APP_ENV": "dev",
        "AUTH_MODE": "local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'docker.db'}",
        "LOCAL_AUTH_KEY_PATH": str(tmp_path / "key.pem"),
        "MODEL_PATH": str(tmp_path / "missing.pkl"),
    }
    process = subprocess.Popen(
        cmd,
        cwd=BACKEND_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/healthz", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                    pytest.fail(f"server did not come up:\n{output[-3000:]}")
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
