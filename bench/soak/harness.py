"""What both soak runs share: the soak database, the server, plain HTTP calls, the load client in its
own process, and the report (summary lines and results/<target>-latest.json)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testkit.databases import named_postgres_database
from testkit.servers import start_uvicorn

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FORECAST, BACKEND = ROOT / "forecast", ROOT / "backend"
PY = sys.executable
RESULTS = HERE / "results"


def soak_database(pg: str | None, name: str) -> str:
    """``name`` dropped and created empty on the server ``--pg`` names (else $TEST_DATABASE_URL's, else
    127.0.0.1:5432); its URL. Left in place afterwards for inspection."""
    admin_url = pg or os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    return named_postgres_database(admin_url, name, fresh=True)


def start_server(cwd: Path, app: str, port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """One worker, as every bench serves it; 20 s to finish in-flight requests when stopped."""
    extra = ["--timeout-graceful-shutdown", "20"]
    return start_uvicorn(app, port, cwd=cwd, env=env, log_path=log_path, extra=extra)


def http(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "load average: %.2f, %.2f, %.2f" % os.getloadavg()


def run_client(plan: dict[str, Any], work: Path, on_progress=None) -> dict[str, Any]:
    """Runs loadclient.py in its own process; ``on_progress(done, after_switch)`` sees its progress."""
    plan_path = work / "plan.json"
    plan_path.write_text(json.dumps(plan))
    proc = subprocess.Popen([PY, str(HERE / "loadclient.py"), str(plan_path)], stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] | None = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("PROGRESS"):
            _, done, after = line.split()
            if on_progress:
                on_progress(int(done), int(after))
        elif line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
    proc.wait()
    if result is None:
        raise SystemExit("the load client produced no result")
    return result


def server_log_problems(log_path: Path) -> list[str]:
    text = log_path.read_text(errors="replace")
    keys = ("Traceback", "unhandled_exception", "database_unavailable", "ERROR")
    return [line[:300] for line in text.splitlines() if any(k in line for k in keys)][:20]


def five_xx(result: dict[str, Any]) -> int:
    return sum(count for status, count in result["status"].items() if status.startswith("5"))


def save(name: str, report: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(report, indent=2) + "\n"
    (RESULTS / f"{name}-{stamp}.json").write_text(text)
    path = RESULTS / f"{name}-latest.json"
    path.write_text(text)
    return path


def print_summary(name: str, result: dict[str, Any], checks: dict[str, Any], load: dict[str, str]) -> None:
    print(
        f"\n== {name}: {result['requests']} requests in {result['seconds']} s "
        f"= {result['throughput_rps']} req/s; p50 {result['p50_ms']:.2f} ms, p90 {result['p90_ms']:.2f} ms, "
        f"p99 {result['p99_ms']:.2f} ms, max {result['max_ms']:.1f} ms"
    )
    print(f"   status counts: {result['status']}; transport errors: {result['transport_errors']}")
    for kind, figures in result["by_kind"].items():
        print(f"   {kind:<18} n={figures['n']:>6}  p50 {figures['p50_ms']:.2f} ms  p99 {figures['p99_ms']:.2f} ms")
    for check, value in checks.items():
        print(f"   check {check}: {value}")
    print(f"   uptime before: {load['before']}\n   uptime after:  {load['after']}")
