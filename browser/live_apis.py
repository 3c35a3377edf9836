"""The two APIs as real uvicorn processes on free loopback ports, and the static server of the test page.

Each API runs from its own folder with its own settings, as ``make run`` starts it; its database is
created and migrated through its own CLI (testkit.databases picks SQLite or PostgreSQL), and
everything else it needs (a token, a user, a published run) is made the way an operator or its own
test suite makes it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from testkit.databases import migrated_database
from testkit.ports import any_free_port
from testkit.servers import start_uvicorn, stop, wait_up

ROOT = Path(__file__).resolve().parents[1]
BACKEND, FORECAST = ROOT / "backend", ROOT / "forecast"
PAGES = Path(__file__).resolve().parent / "pages"
FORECAST_PASSWORD = "correct horse battery staple"


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stderr}"
    return done.stdout


@contextmanager
def uvicorn(app: str, cwd: Path, env: dict[str, str], health: str, log: Path) -> Iterator[str]:
    """``app`` served on a free loopback port until the block ends; its base URL."""
    port = any_free_port()
    process = start_uvicorn(app, port, cwd=cwd, env=env, log_path=log)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_up(base + health, process)
        except SystemExit as exc:  # testkit's helper ends a script; here the log tells why
            raise RuntimeError(f"{exc}:\n{log.read_text(errors='replace')[-4000:]}") from None
        yield base
    finally:
        stop(process)


class _QuietPageHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def page_origin() -> Iterator[str]:
    """The folder ``pages/`` served on a loopback port of its own: one browser origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietPageHandler, directory=str(PAGES)))
    thread = threading.Thread(target=server.serve_forever, name="page-origin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class UniTrack:
    base: str
    database_url: str
    env: dict[str, str]

    def token(self, email: str) -> str:
        """A real token from the service's local dev signer (``python -m app.cli token``)."""
        return run([sys.executable, "-m", "app.cli", "token", "--email", email], BACKEND, self.env).strip()


@contextmanager
def unitrack(db_kind: str, tmp: Path, allowed_origin: str, model_path: Path) -> Iterator[UniTrack]:
    def migrate(url: str) -> None:
        run([sys.executable, "-m", "app.cli", "migrate"], BACKEND, {**env, "DATABASE_URL": url})

    env = {
        **os.environ,
        "APP_ENV": "dev",
        "AUTH_MODE": "local",
        "LOCAL_AUTH_KEY_PATH": str(tmp / "unitrack-key.pem"),
        "FRONTEND_ORIGIN": allowed_origin,
        "MODEL_PATH": str(model_path),
        "MODEL_COMPILE": "false",  # the reference scorer: scores equal scikit-learn's exactly
        "MODEL_WATCH_SECONDS": "0",
        "RATE_LIMIT_BACKEND": "memory",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    with migrated_database(db_kind, tmp, "unitrack_browser", migrate) as url:
        env["DATABASE_URL"] = url
        with uvicorn("app.main:app", BACKEND, env, "/api/v1/healthz", tmp / "unitrack.log") as base:
            yield UniTrack(base, url, env)


@dataclass
class Forecast:
    base: str
    username: str
    password: str


@contextmanager
def forecast(db_kind: str, tmp: Path, allowed_origin: str) -> Iterator[Forecast]:
    def migrate(url: str) -> None:
        run([sys.executable, "-m", "api.cli", "migrate"], FORECAST, {**env, "DATABASE_URL": url})

    results = tmp / "results"
    results.mkdir()
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "RESULTS_DIR": str(results),
        "FRONTEND_ORIGIN": allowed_origin,
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    # The forecast suite's own fixture run (real PNG charts), published with the pipeline's atomic layout.
    publish = (
        "import sys; from pathlib import Path; from tests.support.runs import publish_fixture_run; "
        "publish_fixture_run(Path(sys.argv[1]), 'run-browser')"
    )
    run([sys.executable, "-c", publish, str(results)], FORECAST, env)
    with migrated_database(db_kind, tmp, "forecast_browser", migrate) as url:
        env["DATABASE_URL"] = url
        create_user = ["create-user", "--username", "alice", "--email", "alice@example.com"]
        run([sys.executable, "-m", "api.cli", *create_user, "--password", FORECAST_PASSWORD], FORECAST, env)
        with uvicorn("api.main:app", FORECAST, env, "/api/v1/health/live", tmp / "forecast.log") as base:
            yield Forecast(base, "alice", FORECAST_PASSWORD)
