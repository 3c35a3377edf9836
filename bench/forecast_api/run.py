"""Load benchmark of the forecast API: one uvicorn worker, 16 concurrent keep-alive clients.

Four `wrk` processes run at the same time, 4 connections each (16 in all), one per endpoint:
/forecasts/latest, /forecasts/dashboard, /models/comparison (with a valid token) and /health/live.
Each wrk reports its own throughput and latency percentiles, so every endpoint gets figures measured
beside the others. The server runs with APP_ENV=prod, which refuses SQLite, so it gets a fresh
PostgreSQL database (``forecast_api_bench`` on the server ``--pg`` names), a demo user and a real
pipeline run (3 linear models x 4 horizons, seconds to compute) in a temporary directory.

    make bench-forecast-api          # or: .venv/bin/python bench/forecast_api/run.py [--duration 20]

Needs `wrk` (apt-get install wrk). Writes bench/forecast_api/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from testkit.databases import named_postgres_database
from testkit.pipeline import pipeline_command
from testkit.servers import start_uvicorn, stop, wait_up

ROOT = Path(__file__).resolve().parents[2]

FORECAST = ROOT / "forecast"
PY = sys.executable
ENDPOINTS = {
    "latest": "/api/v1/forecasts/latest",
    "dashboard": "/api/v1/forecasts/dashboard",
    "comparison": "/api/v1/models/comparison",
    "live": "/api/v1/health/live",
}
READ_ENDPOINTS = ("latest", "dashboard", "comparison")
TARGET_RPS, TARGET_P99_MS = 2000, 20.0


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> dict[str, float]:
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    return {
        "rps": rps,
        "p50_ms": _ms(pct["50"]),
        "p90_ms": _ms(pct["90"]),
        "p99_ms": _ms(pct["99"]),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20, help="seconds of load")
    parser.add_argument("--port", type=int, default=18110)
    parser.add_argument("--connections", type=int, default=4, help="per endpoint (4 endpoints)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="forecast-bench-"))
    env = {
        **os.environ,
        "APP_ENV": "prod",
        "SECRET_KEY": "bench-" + "k" * 40,
        "FRONTEND_ORIGIN": "http://localhost:3000",
        "DATABASE_URL": named_postgres_database(args.pg, "forecast_api_bench", fresh=True),
        "RESULTS_DIR": str(work / "results"),
        "LOG_LEVEL": "INFO",
    }
    env.pop("REDIS_URL", None)
    subprocess.run([PY, "-m", "api.cli", "migrate"], cwd=FORECAST, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [
            PY,
            "-m",
            "api.cli",
            "create-user",
            "--username",
            "bench",
            "--email",
            "bench@example.com",
            "--password",
            "bench-password-123",
        ],
        cwd=FORECAST,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print("==> publishing a real pipeline run (ridge, bayesian_ridge, huber x 1,5,10,20)", flush=True)
    subprocess.run(
        pipeline_command(PY, models=("ridge", "bayesian_ridge", "huber"), horizons=(1, 5, 10, 20)),
        cwd=FORECAST,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )

    base = f"http://127.0.0.1:{args.port}"
    server = start_uvicorn("api.main:app", args.port, cwd=FORECAST, env=env, log_path=work / "server.log")
    try:
        wait_up(f"{base}/api/v1/health/ready", server, timeout=30)
        request = urllib.request.Request(
            f"{base}/api/v1/auth/login",
            method="POST",
            data=json.dumps({"username": "bench", "password": "bench-password-123"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback
            token = json.load(response)["access_token"]
        header = f"Authorization: Bearer {token}"
        for path in ENDPOINTS.values():  # warm-up: build each cached response body once
            subprocess.run(["wrk", "-t1", "-c1", "-d1s", "-H", header, base + path], check=True, capture_output=True)
        print(f"==> {args.duration}s: 4 wrk processes x {args.connections} connections, one endpoint each", flush=True)
        procs = {
            name: subprocess.Popen(
                ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "-H", header, base + path],
                stdout=subprocess.PIPE,
                text=True,
            )
            for name, path in ENDPOINTS.items()
        }
        results = {name: parse_wrk(proc.communicate()[0]) for name, proc in procs.items()}
    finally:
        stop(server)

    total = sum(r["rps"] for r in results.values())
    print(f"\n{'endpoint':<12}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name, r in results.items():
        print(f"{name:<12}{r['rps']:>10.0f}{r['p50_ms']:>9.2f}{r['p90_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['non_2xx']:>9}")
    reads = sum(results[n]["rps"] for n in READ_ENDPOINTS)
    worst_p99 = max(results[n]["p99_ms"] for n in READ_ENDPOINTS)
    ok = reads >= TARGET_RPS and worst_p99 <= TARGET_P99_MS and all(r["non_2xx"] == 0 for r in results.values())
    print(
        f"\nall endpoints: {total:.0f} req/s; read endpoints: {reads:.0f} req/s, worst p99 {worst_p99:.2f} ms "
        f"(target >= {TARGET_RPS} req/s, p99 <= {TARGET_P99_MS} ms): {'PASS' if ok else 'FAIL'}"
    )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(
        json.dumps(
            {
                "duration_s": args.duration,
                "connections_total": 4 * args.connections,
                "cpus": os.cpu_count(),
                "endpoints": results,
                "read_rps": reads,
                "read_worst_p99_ms": worst_p99,
                "total_rps": total,
                "pass": ok,
            },
            indent=2,
        )
        + "\n"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
