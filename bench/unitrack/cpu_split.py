"""Where one /predict's CPU goes: the API process, PostgreSQL, against the bare endpoint, same run;
and a batch of 8 (POST /predict/batch) against 8 single /predict calls, in items per second.

Serves one model family (default: logistic regression in a scaler pipeline) two ways, as matrix.py
does: ``api`` (the full /predict: ES256 token, validation, explanation, one PostgreSQL insert) and
``bare`` (reference_app.py: the same engine call, nothing else). For each, a closed-loop phase with
16 connections (pyload.py) and the CPU seconds, per request, of the server process and of every
PostgreSQL process on the machine (from /proc), so the database's share of /predict is visible.

    .venv/bin/python bench/unitrack/cpu_split.py [--duration 8] [--family lr]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import joblib
import matrix  # bench/unitrack/matrix.py, beside this script: families, the API's environment, ports
import phases
from database import ensure_database
from verdict import RESULTS

from servicekit.metrics import scrape_value
from testkit.servers import stop, wait_up

HERE = Path(__file__).resolve().parent

BATCH_SIZE = 8


def postgres_cpu_seconds() -> float:
    pids = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    total = 0.0
    for pid in pids:
        try:
            total += phases.cpu_seconds(int(pid))
        except (FileNotFoundError, ProcessLookupError):
            pass  # a backend that ended during the phase
    return total


def predicts_counted(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:  # noqa: S310 - loopback
        text = response.read().decode()
    return scrape_value(text, "http_requests_total", method="POST", route="/api/v1/predict", status="200")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--family", default="lr", choices=list(matrix.families()))
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    from app.core.config import Settings
    from app.core.local_auth import LocalSigner
    from app.ml.model_loader import load_model

    work = Path(tempfile.mkdtemp(prefix="unitrack-cpu-split-"))
    key_path = RESULTS / ".local_auth" / "es256_private.pem"
    RESULTS.mkdir(exist_ok=True)
    signer = LocalSigner(Settings(_env_file=None, app_env="dev", auth_mode="local", local_auth_key_path=key_path))
    tokens = work / "tokens.txt"
    tokens.write_text("\n".join(signer.issue(f"split-{i}@bench.local") for i in range(16)) + "\n")
    db_url = ensure_database(args.pg, "unitrack_matrix")
    body = work / "predict.json"
    body.write_text(json.dumps({"cod_persona": 8839, "cod_curso": "CS2H1", "features": matrix.STUDENT}))
    batch_body = work / "batch.json"  # a semester: 8 courses, the same student
    batch_body.write_text(
        json.dumps(
            {
                "cod_persona": 8839,
                "items": [
                    {"cod_curso": f"C{n}", "features": {**matrix.STUDENT, "EDAD": 18.0 + n}} for n in range(BATCH_SIZE)
                ],
            }
        )
    )
    frame, passed = matrix.make_students(n_rows=3000)
    model_path = work / "model.pkl"
    joblib.dump(matrix.families()[args.family]().fit(frame, passed), model_path)
    loaded = load_model(model_path)
    env = matrix.api_env(db_url, key_path, model_path, loaded, log_level="INFO")  # INFO: the access log on
    api = phases.start_server("app.main:app", matrix.PORTS["api"], env, work / "api.log", [])
    bare = phases.start_server(
        "reference_app:app", matrix.PORTS["bare"], env, work / "bare.log", ["--app-dir", str(HERE)]
    )
    # (name, server, port, path, body, items per request)
    servings = [
        ("api", api, matrix.PORTS["api"], "/api/v1/predict", body, 1),
        (f"api batch of {BATCH_SIZE}", api, matrix.PORTS["api"], "/api/v1/predict/batch", batch_body, BATCH_SIZE),
        ("bare", bare, matrix.PORTS["bare"], "/predict", body, 1),
    ]
    try:
        wait_up(f"http://127.0.0.1:{matrix.PORTS['api']}/api/v1/readyz", api)
        wait_up(f"http://127.0.0.1:{matrix.PORTS['bare']}/healthz", bare)
        phases.wait_serving(f"http://127.0.0.1:{matrix.PORTS['api']}/api/v1/readyz", lambda d: d["model"])
        phases.wait_serving(f"http://127.0.0.1:{matrix.PORTS['bare']}/healthz", lambda d: d)
        items_per_second = {}
        for name, process, port, path, body, items in servings:
            endpoint = phases.Endpoint(port, "POST", path, tokens, body)
            phases.run_load("python", endpoint, 2)  # warm-up
            counted_before = predicts_counted(port) if name == "api" else 0.0
            pg_before = postgres_cpu_seconds()
            result = phases.measured(name, process.pid, lambda: phases.run_load("python", endpoint, args.duration))  # noqa: B023 - called at once
            pg_ms = (postgres_cpu_seconds() - pg_before) * 1000 / max(result["requests"], 1)
            print(
                f"      PostgreSQL {pg_ms:.2f} CPU-ms/req; server + PostgreSQL "
                f"{result['server_cpu_ms_per_request'] + pg_ms:.2f} CPU-ms/req; {items * result['rps']:.0f} "
                "items/s",
                flush=True,
            )
            items_per_second[name] = items * result["rps"]
            if name == "api":  # what /metrics saw of the phase, beside what the client counted
                counted = predicts_counted(port) - counted_before
                print(
                    f"      /metrics counted {counted:.0f} POST /api/v1/predict 200s; the client {result['requests']}",
                    flush=True,
                )
        batch = items_per_second[f"api batch of {BATCH_SIZE}"]
        print(
            f"==> batch of {BATCH_SIZE}: {batch / items_per_second['api']:.1f}x the items per second of single "
            f"/predict calls (goal >= 4x)"
        )
    finally:
        for process in (api, bare):
            stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
