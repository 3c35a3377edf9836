"""The servers under test and the load phases run against them: start, wait for the model to settle,
drive load (wrk or pyload.py) and measure the server's CPU and the machine's around each phase."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testkit.servers import start_uvicorn

HERE = Path(__file__).resolve().parent
BACKEND = HERE.parents[1] / "backend"


def start_server(app: str, port: int, env: dict[str, str], log_path: Path, extra: list[str]) -> subprocess.Popen[bytes]:
    """``app`` served from backend/ as every UniTrack bench serves it (testkit's uvicorn flags)."""
    return start_uvicorn(app, port, cwd=BACKEND, env=env, log_path=log_path, extra=extra)


def wait_serving(url: str, model_of: Any, timeout: float = 180) -> dict[str, Any]:
    """Waits until the model's background compile has settled (served compiled, or kept on the
    reference scorer with a reason), so no phase measures the switch-over."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback
            doc = json.load(response)
        serving = (model_of(doc) or {}).get("serving") or {}
        if not str(serving.get("reason", "")).startswith("compiling") or time.monotonic() > deadline:
            print(f"==> {url}: serving {serving.get('path')} ({serving.get('reason')})", flush=True)
            return doc
        time.sleep(0.5)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass(frozen=True)
class Endpoint:
    """What a load phase sends: ``method path`` on a loopback port, as the users in ``tokens_file``,
    with ``body_file`` as each request's body (none for a GET)."""

    port: int
    method: str
    path: str
    tokens_file: Path
    body_file: Path | None = None


def run_load(client: str, endpoint: Endpoint, duration: float, rate: float = 0) -> dict[str, Any]:
    """One load phase. ``rate`` > 0: open loop at that total rate (pyload.py); else closed loop."""
    if client == "wrk" and not rate:
        n = len(endpoint.tokens_file.read_text().split())
        env = {
            **os.environ,
            "BENCH_TOKENS": str(endpoint.tokens_file),
            "BENCH_METHOD": endpoint.method,
            "BENCH_PATH": endpoint.path,
            "BENCH_BODY": str(endpoint.body_file or ""),
        }
        cmd = [
            "wrk",
            f"-t{n}",
            f"-c{n}",
            f"-d{int(duration)}s",
            "--timeout",
            "10s",
            "-s",
            str(HERE / "load.lua"),
            f"http://127.0.0.1:{endpoint.port}",
        ]
    else:
        env = dict(os.environ)
        cmd = [
            sys.executable,
            str(HERE / "pyload.py"),
            "--port",
            str(endpoint.port),
            "--method",
            endpoint.method,
            "--path",
            endpoint.path,
            "--tokens",
            str(endpoint.tokens_file),
            "--duration",
            str(duration),
            "--rate",
            str(rate),
        ]
        if endpoint.body_file:
            cmd += ["--body", str(endpoint.body_file)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_JSON "))
    raw = json.loads(line[len("BENCH_JSON ") :])
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / seconds,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "p999_ms": raw["p999_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000,
        "non_2xx": sum(u["bad"] for u in raw["per_user"]),
        "socket_errors": {k: v for k, v in raw["errors"].items() if k != "status" and v},
        "per_user": raw["per_user"],
    }


def measured(name: str, server_pid: int, load: Any) -> dict[str, Any]:
    cpu0, (busy0, total0), t0 = cpu_seconds(server_pid), machine_busy(), time.perf_counter()
    result = load()
    cpu1, (busy1, total1), t1 = cpu_seconds(server_pid), machine_busy(), time.perf_counter()
    result["server_cpu_ms_per_request"] = (cpu1 - cpu0) * 1000 / max(result["requests"], 1)
    result["server_cpu_cores"] = (cpu1 - cpu0) / (t1 - t0)
    result["machine_busy_pct"] = 100 * (busy1 - busy0) / max(total1 - total0, 1)
    print(
        f"    {name:<16} {result['rps']:7.0f} req/s  p50 {result['p50_ms']:7.2f}  p90 {result['p90_ms']:7.2f}"
        f"  p99 {result['p99_ms']:7.2f} ms  non-2xx {result['non_2xx']}"
        f"  server {result['server_cpu_ms_per_request']:.2f} CPU-ms/req ({result['server_cpu_cores']:.2f} cores)"
        f"  machine {result['machine_busy_pct']:.0f}% busy",
        flush=True,
    )
    return result


def endpoint_phases(
    name: str,
    client: str,
    endpoint: Endpoint,
    args: argparse.Namespace,
    server_pid: int,
    before_measure: Any = None,
) -> dict[str, Any]:
    """Warm-up, then latency at the target rate (open loop), then throughput (closed loop)."""
    run_load(client, endpoint, 2)
    if before_measure:
        time.sleep(1.0)  # requests wrk abandoned at the end of the warm-up may still be committing
        before_measure()
    at_rate = measured(
        f"{name} @{args.rate:.0f}/s",
        server_pid,
        lambda: run_load("python", endpoint, args.duration, rate=args.rate),
    )
    saturated = measured(f"{name} max", server_pid, lambda: run_load(client, endpoint, args.duration))
    return {"at_rate": at_rate, "max": saturated}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
