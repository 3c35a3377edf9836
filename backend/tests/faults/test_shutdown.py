"""SIGTERM with requests in flight: a real uvicorn started with the Dockerfile's CMD.

Every /predict that got a 200 must have its row; in-flight requests finish after the signal; the
server stops taking new ones and exits cleanly within the graceful-shutdown timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from testkit.ports import require_free_port

from authkit import ISSUER, bearer, make_token
from students import STUDENT

BACKEND_DIR = Path(__file__).resolve().parents[2]
PORTS = range(18250, 18300)
PREDICT = {"cod_persona": 1, "cod_curso": "CS2H1", "features": STUDENT}


def _dockerfile_cmd() -> list[str]:
    [cmd] = re.findall(r"^CMD\s+(\[.*\])\s*$", (BACKEND_DIR / "Dockerfile").read_text(), flags=re.M)
    return json.loads(cmd)


def test_the_image_and_railway_give_in_flight_requests_time_to_finish():
    command = " ".join(_dockerfile_cmd())
    match = re.search(r"--timeout-graceful-shutdown[ =](\d+)", command)
    assert match, "uvicorn needs --timeout-graceful-shutdown in the Dockerfile CMD"
    assert command.startswith("sh -c exec uvicorn"), "exec keeps uvicorn as PID 1 so it gets SIGTERM"
    draining = json.loads((BACKEND_DIR / "railway.json").read_text())["deploy"]["drainingSeconds"]
    assert draining > int(match.group(1)), "Railway must not SIGKILL before uvicorn's grace period ends"


@pytest.mark.slow
async def test_sigterm_mid_flight_loses_no_acknowledged_row(database_url, clean_db, jwks_server, model_file, tmp_path):
    port = require_free_port(PORTS)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PORT": str(port),
        "APP_ENV": "test",
        "AUTH_MODE": "supabase",
        "SUPABASE_JWKS_URL": jwks_server.url,
        "SUPABASE_ISSUER": ISSUER,
        "DATABASE_URL": database_url,
        "MODEL_PATH": str(model_file),
        "RATE_LIMIT_PREDICT": "0",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": "10",
        "DB_MAX_OVERFLOW": "10",
    }
    log_path = tmp_path / "uvicorn.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            _dockerfile_cmd(),
            cwd=BACKEND_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not come up:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)

        users = [uuid.uuid4() for _ in range(8)]
        tokens = [bearer(make_token(user=u)) for u in users]
        results: list[tuple[int | str, str | None, float]] = []
        sigterm_at: dict[str, float] = {}
        total, concurrency = 600, 64

        async with httpx.AsyncClient(
            base_url=base, timeout=30, limits=httpx.Limits(max_connections=concurrency)
        ) as client:
            queue: asyncio.Queue[int] = asyncio.Queue()
            for i in range(total):
                queue.put_nowait(i)

            async def worker() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    try:
                        r = await client.post("/predict", json=PREDICT, headers=tokens[i % len(tokens)])
                        body_id = r.json().get("id") if r.status_code == 200 else None
                        results.append((r.status_code, body_id, time.monotonic()))
                    except httpx.TransportError as exc:
                        results.append((type(exc).__name__, None, time.monotonic()))
                    if len(results) == 60 and not sigterm_at:
                        sigterm_at["t"] = time.monotonic()
                        os.kill(process.pid, signal.SIGTERM)

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        exit_code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    log = log_path.read_text()
    # uvicorn re-raises the signal after a graceful shutdown, so -SIGTERM is the clean exit here.
    assert exit_code in (0, -signal.SIGTERM), log[-3000:]
    assert "Application shutdown complete" in log and "Traceback" not in log, log[-3000:]
    assert sigterm_at, "SIGTERM was never sent"
    statuses = [s for s, _, _ in results]
    assert not [s for s in statuses if isinstance(s, int) and s >= 500], statuses
    acked = {i for s, i, _ in results if s == 200}
    finished_after_signal = [s for s, _, t in results if s == 200 and t > sigterm_at["t"]]
    refused = [s for s in statuses if not isinstance(s, int)]
    assert len(acked) >= 60
    assert finished_after_signal, "no in-flight request completed after SIGTERM"
    assert refused, "the server kept accepting new requests after SIGTERM"

    with clean_db.connect() as conn:
        # Raw SQL: SQLite hands back 32 hex digits, PostgreSQL a UUID; normalise both.
        stored = {str(uuid.UUID(str(r))) for r in conn.execute(text("SELECT id FROM inferences")).scalars()}
    missing = acked - stored
    assert not missing, f"{len(missing)} acknowledged predictions have no row"
    # And nothing was stored that was not acknowledged: one row per 200.
    assert stored == acked, f"{len(stored - acked)} rows without an acknowledgement"
    print(
        f"SIGTERM after 60 responses: {len(acked)} acknowledged (all stored), "
        f"{len(finished_after_signal)} finished after the signal, {len(refused)} refused"
    )
