"""Soak of the forecast API: authenticated reads from many connections while the pipeline publishes
a second run into the same RESULTS_DIR halfway; no 5xx and no response mixing the two runs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import (
    FORECAST,
    PY,
    ROOT,
    five_xx,
    http,
    print_summary,
    run_client,
    save,
    server_log_problems,
    soak_database,
    start_server,
    uptime,
)

from testkit.pipeline import pipeline_command
from testkit.servers import stop, wait_up

FORECAST_READS = [
    # name, path, weight
    ("forecasts", "/api/v1/forecasts/", 8),
    ("forecasts_filtered", "/api/v1/forecasts/?model=ridge&horizon=5&page_size=50", 5),
    ("latest", "/api/v1/forecasts/latest", 10),
    ("consensus", "/api/v1/forecasts/consensus", 8),
    ("consensus_h1", "/api/v1/forecasts/consensus?horizon=1", 4),
    ("dashboard", "/api/v1/forecasts/dashboard", 12),
    ("by_horizon_1", "/api/v1/forecasts/by-horizon/1", 5),
    ("by_horizon_5", "/api/v1/forecasts/by-horizon/5", 5),
    ("models", "/api/v1/models/", 6),
    ("comparison", "/api/v1/models/comparison", 8),
    ("model_ridge", "/api/v1/models/ridge", 3),
    ("metrics_ridge", "/api/v1/models/ridge/metrics", 3),
    ("importance_ridge", "/api/v1/models/ridge/feature-importance", 4),
    ("importance_huber_h1", "/api/v1/models/huber/feature-importance?horizon=1", 3),
    ("images", "/api/v1/images/", 5),
    ("images_models", "/api/v1/images/models", 3),
]


def publish_run(env: dict[str, str], results_dir: Path) -> str:
    subprocess.run(
        pipeline_command(PY, models=("ridge", "huber"), horizons=(1, 5), results_dir=results_dir),
        cwd=FORECAST,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return (results_dir / "LATEST").read_text().strip()


def run_generated_at(results_dir: Path, run_id: str) -> str:
    bundle = json.loads((results_dir / "runs" / run_id / "run.json").read_text())
    return bundle["summary"]["generated_at"]


def soak_forecast(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="forecast-soak-"))
    results_dir = work / "results"
    db_url = soak_database(args.pg, "forecast_soak")
    env = {
        **os.environ,
        "APP_ENV": "prod",
        "SECRET_KEY": "soak-" + "s" * 48,
        "DATABASE_URL": db_url,
        "RESULTS_DIR": str(results_dir),
        "FRONTEND_ORIGIN": "http://localhost:3000",
        "LOG_LEVEL": "INFO",
        "LOG_JSON": "true",
        "ACCESS_LOG": "false",
        "REDIS_URL": "",
        "RESULTS_POLL_SECONDS": "1",
    }
    print(f"==> database forecast_soak, work dir {work}", flush=True)
    subprocess.run([PY, "-m", "api.cli", "migrate"], cwd=FORECAST, env=env, check=True, stdout=subprocess.DEVNULL)
    users = [(f"soak{i}", f"soak-password-{i:04d}") for i in range(args.users)]
    script = (
        "import sys\nfrom api.config import get_settings\nfrom api.db.session import build_engine, "
        "build_session_factory\nfrom api.bootstrap import create_user\n"
        "f = build_session_factory(build_engine(get_settings()))\n"
        "with f() as s, s.begin():\n"
        "    for line in sys.stdin.read().split():\n"
        "        u, p = line.split(':')\n"
        "        create_user(s, u, u + '@example.com', p)\n"
    )
    subprocess.run(
        [PY, "-c", script], cwd=FORECAST, env=env, check=True, input="\n".join(f"{u}:{p}" for u, p in users), text=True
    )
    print("==> run A: pipeline (ridge,huber x 1,5)", flush=True)
    run_a = publish_run(env, results_dir)
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(FORECAST, "api.main:app", args.port, env, work / "server.log")
    load = {"before": uptime()}
    run_b: dict[str, Any] = {}
    try:
        wait_up(f"{base}/api/v1/health/ready", server)
        tokens = []
        for username, password in users:
            status, body = http("POST", f"{base}/api/v1/auth/login", {"username": username, "password": password})
            assert status == 200, body
            tokens.append(body["access_token"])
        status, images = http("GET", f"{base}/api/v1/images/", token=tokens[0])
        assert status == 200, images
        image_ids = (
            [img["image_id"] for img in images["images"]][:3]
            if isinstance(images, dict)
            else [img["image_id"] for img in images][:3]
        )
        requests: list[dict[str, Any]] = []
        auth = {"Authorization": "Bearer {TOKEN}"}
        for name, path, weight in FORECAST_READS:
            requests.append(
                {
                    "name": name,
                    "method": "GET",
                    "path": path,
                    "headers": auth,
                    "weight": weight,
                    "kind": "forecast_json",
                }
            )
        for image_id in image_ids:
            requests.append(
                {
                    "name": f"png_{image_id}",
                    "method": "GET",
                    "path": f"/api/v1/images/{image_id}",
                    "headers": auth,
                    "weight": 1,
                    "kind": "forecast_binary",
                }
            )
        requests.append(
            {"name": "health", "method": "GET", "path": "/api/v1/health", "weight": 2, "kind": "forecast_health"}
        )
        requests.append(
            {"name": "ready", "method": "GET", "path": "/api/v1/health/ready", "weight": 1, "kind": "forecast_health"}
        )
        gen_a = run_generated_at(results_dir, run_a)
        plan = {
            "host": "127.0.0.1",
            "port": args.port,
            "connections": args.connections,
            "seed": 7,
            "users": [{"token": t} for t in tokens],
            "requests": requests,
            "requests_total": args.requests,
            "min_after_switch": args.requests // 5,
            "first_generated_at": gen_a,
            "max_seconds": args.max_seconds,
        }

        def publish_b() -> None:
            started = time.monotonic()
            run_b["run_id"] = publish_run(env, results_dir)
            run_b["pipeline_seconds"] = round(time.monotonic() - started, 1)
            print(f"==> run B published: {run_b['run_id']} ({run_b['pipeline_seconds']} s)", flush=True)

        def on_progress(done: int, after: int) -> None:
            if done >= args.requests // 2 and "thread" not in run_b:
                print(f"==> {done} requests done: publishing run B while the load goes on", flush=True)
                run_b["at_request"] = done
                run_b["thread"] = threading.Thread(target=publish_b, daemon=True)
                run_b["thread"].start()

        print(f"==> load: {args.requests}+ requests, {args.connections} connections, {len(tokens)} users", flush=True)
        result = run_client(plan, work, on_progress)
        run_b.pop("thread").join()
        load["after"] = uptime()
        final = http("GET", f"{base}/api/v1/health")[1]
    finally:
        exit_code = stop(server, grace=30)
    gen_b = run_generated_at(results_dir, run_b["run_id"])
    runs = {gen_a: run_a, gen_b: run_b["run_id"]}
    foreign = {g: n for g, n in result["generated_seen"].items() if not g.startswith("health:") and g not in runs}
    too_many_bodies = {name: len(shas) for name, shas in result["bodies"].items() if len(shas) > 2}
    checks = {
        "zero_5xx": five_xx(result) == 0,
        "no_transport_errors": result["transport_errors"] == 0,
        "no_mixed_response": result["mixed_count"] == 0,
        "every_generated_at_is_run_a_or_b": not foreign,
        "responses_from_run_a": sum(n for g, n in result["generated_seen"].items() if g == gen_a),
        "responses_from_run_b": sum(n for g, n in result["generated_seen"].items() if g == gen_b),
        "at_most_one_body_per_path_and_run": not too_many_bodies,
        "final_health": f"{final['status']}: {final['services']['results']['message']}",
        "server_exit_code": exit_code,
        "server_log_problems": server_log_problems(work / "server.log"),
    }
    ok = (
        checks["zero_5xx"]
        and checks["no_transport_errors"]
        and checks["no_mixed_response"]
        and checks["every_generated_at_is_run_a_or_b"]
        and checks["at_most_one_body_per_path_and_run"]
        and checks["responses_from_run_b"] > 0
        and not checks["server_log_problems"]
    )
    report = {
        "target": "forecast",
        "pass": ok,
        "cpus": os.cpu_count(),
        "uptime": load,
        "args": vars(args),
        "runs": {"a": {"run_id": run_a, "generated_at": gen_a}, "b": {**run_b, "generated_at": gen_b}},
        "checks": checks,
        "result": {k: v for k, v in result.items() if k not in ("bodies", "ids")},
        "bodies_per_path": {name: len(shas) for name, shas in result["bodies"].items()},
        "foreign_generated_at": foreign,
        "too_many_bodies": too_many_bodies,
    }
    path = save("forecast", report)
    print_summary("forecast", result, {k: v for k, v in checks.items()}, load)
    print(f"\n{'PASS' if ok else 'FAIL'} -> {path.relative_to(ROOT)}")
    return 0 if ok else 1
