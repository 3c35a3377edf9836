"""SIGTERM with writes in flight: a real uvicorn process on Postgres, a burst of concurrent refreshes
and logins (good and bad passwords: both write), SIGTERM while they are being served.

Every acknowledged refresh must have its revocation row, every acknowledged failed login its counted
failure; requests that were in flight when the signal came are finished, not dropped; the process exits
cleanly within the graceful timeout.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from api.bootstrap import create_user
from api.config import Settings
from api.db.models import LoginFailure, RevokedToken
from api.db.session import build_session_factory
from api.security import create_access_token
from api.services.throttle import throttle_key
from testkit.ports import require_free_port
from tests.conftest import PASSWORD, TEST_SECRET

FORECAST_DIR = Path(__file__).resolve().parents[2]
PORTS = range(18300, 18350)
USERS = 10
REFRESHES = 160
BAD_LOGINS = 40
GOOD_LOGINS = 20


def _log(proc: subprocess.Popen) -> str:
    return proc.log_path.read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]


def _wait_until_live(base: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"uvicorn exited early: {_log(proc)}")
        try:
            if httpx.get(f"{base}/api/v1/health/live", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling step, bounded by the deadline above
    raise AssertionError("uvicorn did not start")


@pytest.fixture
def server(pg_clean, results_dir, tmp_path):
    url = pg_clean.render_as_string(hide_password=False)
    settings = Settings(_env_file=None, app_env="test", secret_key=TEST_SECRET, database_url=url)
    engine = create_engine(settings.sqlalchemy_url)
    users = []
    with build_session_factory(engine)() as session, session.begin():  # cheap argon2 (conftest)
        for i in range(USERS):
            users.append((create_user(session, f"user{i}", f"user{i}@example.com", PASSWORD), f"user{i}"))
    port = require_free_port(PORTS)
    env = {
        **os.environ,
        "APP_ENV": "test",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": url,
        "RESULTS_DIR": str(results_dir),
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG": "false",
        "REDIS_URL": "",
        "LOGIN_MAX_FAILURES": "100000",
        "AUTH_CACHE_SECONDS": "0",
        "DB_POOL_SIZE": "5",
        "ADMIN_USERNAME": "",
        "ADMIN_PASSWORD": "",
        "ADMIN_EMAIL": "",
    }
    log_file = (tmp_path / "uvicorn.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--timeout-graceful-shutdown",
            "15",
            "--no-access-log",
        ],
        cwd=FORECAST_DIR,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    proc.log_path = tmp_path / "uvicorn.log"  # type: ignore[attr-defined]
    try:
        _wait_until_live(f"http://127.0.0.1:{port}", proc)
        yield proc, f"http://127.0.0.1:{port}", settings, users, engine
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        log_file.close()
        engine.dispose()


async def test_sigterm_mid_burst_loses_no_acknowledged_write(server):
    proc, base, settings, users, engine = server
    tokens = []
    for i in range(REFRESHES):
        user_id, username = users[i % USERS]
        token, claims = create_access_token(settings, user_id, username)
        tokens.append((token, claims.jti))
    sent_sigterm_at: list[float] = []
    done_at: list[float] = []

    limits = httpx.Limits(max_connections=REFRESHES + BAD_LOGINS + GOOD_LOGINS, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def call(method: str, path: str, **kwargs):
            try:
                response = await client.request(method, path, **kwargs)
            except httpx.TransportError as exc:  # refused or closed after SIGTERM: not acknowledged
                return exc
            done_at.append(time.monotonic())
            return response

        refreshes = [call("POST", "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {t}"}) for t, _ in tokens]
        # Failed logins for users 5-9, successes for users 0-4 (a success resets the count). Existing
        # users only: their hashes are cheap, an unknown name is checked against a real argon2 hash.
        bad = [
            call("POST", "/api/v1/auth/login", json={"username": f"user{5 + i % 5}", "password": "wrong"})
            for i in range(BAD_LOGINS)
        ]
        good = [
            call("POST", "/api/v1/auth/login", json={"username": f"user{i % 5}", "password": PASSWORD})
            for i in range(GOOD_LOGINS)
        ]
        tasks = [asyncio.ensure_future(c) for c in refreshes + bad + good]

        while len(done_at) < 10 and not all(t.done() for t in tasks):
            await asyncio.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        sent_sigterm_at.append(time.monotonic())
        results = await asyncio.gather(*tasks)

    # uvicorn re-raises the signal once shut down: -SIGTERM is its clean exit (nothing cancelled).
    assert proc.wait(timeout=20) in (0, -signal.SIGTERM), _log(proc)
    log = _log(proc)
    assert "Finished server process" in log and "graceful shutdown exceeded" not in log, log
    statuses = [r.status_code if isinstance(r, httpx.Response) else type(r).__name__ for r in results]
    assert not [s for s in statuses if isinstance(s, int) and s >= 500], statuses

    refresh_results = results[:REFRESHES]
    bad_results = results[REFRESHES : REFRESHES + BAD_LOGINS]
    acked_refresh_jtis = {
        jti
        for (_, jti), r in zip(tokens, refresh_results, strict=True)
        if isinstance(r, httpx.Response) and r.status_code == 200
    }
    with engine.connect() as conn:
        revoked = set(conn.scalars(select(RevokedToken.jti)))
        failures = {row.key: row.failures for row in conn.execute(select(LoginFailure))}
    assert acked_refresh_jtis, statuses
    assert acked_refresh_jtis <= revoked, f"acknowledged without a row: {acked_refresh_jtis - revoked}"
    acked_bad: dict[str, int] = {}
    for i, r in enumerate(bad_results):
        if isinstance(r, httpx.Response) and r.status_code == 401:
            key = throttle_key(f"user{5 + i % 5}", "127.0.0.1")
            acked_bad[key] = acked_bad.get(key, 0) + 1
    for key, count in acked_bad.items():
        assert failures.get(key, 0) >= count, (key, count, failures.get(key))
    # Requests in flight when SIGTERM arrived were served, not dropped.
    late = sum(1 for t in done_at if t > sent_sigterm_at[0])
    assert late > 0, statuses
    print(
        f"acknowledged refreshes {len(acked_refresh_jtis)}/{REFRESHES}, answered after SIGTERM {late}, "
        f"not answered {sum(1 for r in results if not isinstance(r, httpx.Response))}"
    )
