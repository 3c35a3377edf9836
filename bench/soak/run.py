"""Soak runs: load with nothing lost, against one uvicorn worker on PostgreSQL.

    .venv/bin/python bench/soak/run.py forecast [--requests 50000] [--connections 64]
    .venv/bin/python bench/soak/run.py unitrack [--requests 20000] [--users 50]

forecast: a dedicated database (forecast_soak), a real pipeline run A (ridge,huber x 1,5), mixed
authenticated reads from many connections; halfway, the pipeline publishes run B into the same
RESULTS_DIR while the load goes on. Checks: zero 5xx, every response's generated_at values belong to
exactly one of the two runs (none mixes them), at most one distinct body per path and run.

unitrack: a dedicated database (unitrack_soak), AUTH_MODE=local, the demo model, one connection per
user: predict, whatif, history, /auth/me, bad tokens and bad features. Checks: zero 5xx, and the
``inferences`` table holds exactly the ids acknowledged by predict/whatif, each under its user.

PostgreSQL: --pg (default $TEST_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/postgres); the
soak database is dropped and recreated at the start of each run and left in place afterwards. Results: bench/soak/results/<target>-latest.json
(git-ignored). The load client (loadclient.py) runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testkit.servers import stop, wait_up

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

FORECAST, BACKEND = ROOT / "forecast", ROOT / "backend"
PY = sys.executable
RESULTS = HERE / "results"


# -- helpers -------------------------------------------------------------------------------------
def pg_admin_url(arg: str | None) -> str:
    return arg or os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"


def recreate_database(admin_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(admin_url.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql")
    engine = create_engine(url.set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


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


def start_server(cwd: Path, app: str, port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = log_path.open("wb")
    return subprocess.Popen(
        [
            PY,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "20",
        ],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


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


# -- forecast ------------------------------------------------------------------------------------
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
        [
            PY,
            "-m",
            "pipelines.run",
            "--models",
            "ridge,huber",
            "--horizons",
            "1,5",
            "--folds",
            "2",
            "--jobs",
            "1",
            "--results-dir",
            str(results_dir),
            "--no-progress",
        ],
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
    db_url = recreate_database(pg_admin_url(args.pg), "forecast_soak")
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


# -- unitrack ------------------------------------------------------------------------------------
GOOD = {"cod_persona": 8839, "cod_curso": "CS2H1", "features": {"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3}}
WHATIF = {**GOOD, "deltas": {"CREDITOS": 1}}
BAD_FEATURES = [
    {**GOOD, "features": {"EDAD": "twenty"}},
    {**GOOD, "features": {"EDAD": float("inf")}},
    {**GOOD, "cod_persona": -1},
    {**GOOD, "extra": True},
    {"cod_curso": "CS2H1", "features": {"EDAD": 20}},
    {**GOOD, "features": {f"F{i}": i for i in range(3)} | {"EDAD": None}},
]


def soak_unitrack(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="unitrack-soak-"))
    db_url = recreate_database(pg_admin_url(args.pg), "unitrack_soak")
    model = ROOT / "ml_models" / "models" / "model.pkl"
    if not model.exists():
        print("==> training the demo model", flush=True)
        subprocess.run([PY, str(ROOT / "ml_models" / "src" / "train.py")], cwd=ROOT, check=True)
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "AUTH_MODE": "local",
        "DATABASE_URL": db_url,
        "LOG_LEVEL": "WARNING",
        "LOCAL_AUTH_KEY_PATH": str(work / "es256_private.pem"),
        "RATE_LIMIT_PREDICT": "0",
        "REDIS_URL": "",
        "FRONTEND_ORIGIN": "http://localhost:3000",
        "MODEL_PATH": str(model),
    }
    print(f"==> database unitrack_soak, work dir {work}", flush=True)
    subprocess.run([PY, "-m", "app.cli", "migrate"], cwd=BACKEND, env=env, check=True, stdout=subprocess.DEVNULL)
    script = (
        "from app.core.config import get_settings\nfrom app.core.local_auth import LocalSigner\n"
        "s = LocalSigner(get_settings())\n"
        f"for i in range({args.users}):\n    print(s.issue(f'soak{{i}}@example.com', ttl_seconds=7200))\n"
    )
    tokens = subprocess.run(
        [PY, "-c", script], cwd=BACKEND, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    assert len(tokens) == args.users, tokens
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(BACKEND, "app.main:app", args.port, env, work / "server.log")
    load = {"before": uptime()}
    try:
        wait_up(f"{base}/api/v1/healthz", server)
        user_ids = []
        for token in tokens:
            status, me = http("GET", f"{base}/api/v1/auth/me", token=token)
            assert status == 200, me
            user_ids.append(me["id"])
        status, probe = http("POST", f"{base}/api/v1/predict", GOOD, token=tokens[0])
        assert status == 200, probe
        probe_id = probe["id"]
        json_auth = {"Authorization": "Bearer {TOKEN}", "Content-Type": "application/json"}
        expired = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwiZXhwIjoxfQ.c2ln"
        requests = [
            {
                "name": "predict",
                "method": "POST",
                "path": "/api/v1/predict",
                "headers": json_auth,
                "body": json.dumps(GOOD),
                "weight": 35,
                "kind": "predict",
            },
            {
                "name": "whatif",
                "method": "POST",
                "path": "/api/v1/whatif",
                "headers": json_auth,
                "body": json.dumps(WHATIF),
                "weight": 20,
                "kind": "whatif",
            },
            {
                "name": "history",
                "method": "GET",
                "path": "/api/v1/history?limit=20",
                "weight": 15,
                "headers": {"Authorization": "Bearer {TOKEN}"},
                "kind": "history",
            },
            {
                "name": "me",
                "method": "GET",
                "path": "/api/v1/auth/me",
                "weight": 5,
                "headers": {"Authorization": "Bearer {TOKEN}"},
                "kind": "me",
            },
            {
                "name": "bad_token_garbage",
                "method": "POST",
                "path": "/api/v1/predict",
                "weight": 4,
                "headers": {"Authorization": "Bearer not-a-jwt", "Content-Type": "application/json"},
                "body": json.dumps(GOOD),
                "kind": "bad_token",
                "expect": [401],
            },
            {
                "name": "bad_token_forged",
                "method": "POST",
                "path": "/api/v1/whatif",
                "weight": 3,
                "headers": {"Authorization": f"Bearer {expired}", "Content-Type": "application/json"},
                "body": json.dumps(WHATIF),
                "kind": "bad_token",
                "expect": [401],
            },
            {
                "name": "no_token",
                "method": "GET",
                "path": "/api/v1/history",
                "weight": 3,
                "headers": {},
                "kind": "bad_token",
                "expect": [401],
            },
        ]
        for i, bad in enumerate(BAD_FEATURES):
            requests.append(
                {
                    "name": f"bad_features_{i}",
                    "method": "POST",
                    "path": "/api/v1/predict",
                    "headers": json_auth,
                    "body": json.dumps(bad),
                    "weight": 2,
                    "kind": "bad_features",
                    "expect": [400, 422],
                }
            )
        plan = {
            "host": "127.0.0.1",
            "port": args.port,
            "connections": args.users,
            "seed": 11,
            "users": [{"token": t} for t in tokens],
            "requests": requests,
            "requests_total": args.requests,
            "max_seconds": args.max_seconds,
        }
        print(f"==> load: {args.requests}+ requests, {args.users} users (one connection each)", flush=True)
        result = run_client(plan, work)
        load["after"] = uptime()
    finally:
        exit_code = stop(server, grace=30)

    from sqlalchemy import create_engine, text

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, user_id, kind FROM inferences")).all()
    engine.dispose()
    db = {str(r.id): str(r.user_id) for r in rows}
    acked = {probe_id: user_ids[0]}
    duplicates = 0
    for index, ids in result["ids"].items():
        for inference_id in ids:
            if inference_id in acked:
                duplicates += 1
            acked[inference_id] = user_ids[int(index)]
    missing = sorted(set(acked) - set(db))
    extra = sorted(set(db) - set(acked))
    wrong_user = sorted(i for i in set(acked) & set(db) if db[i] != acked[i])
    acked_calls = sum(v.get("200", 0) for k, v in result["status_by_name"].items() if k in ("predict", "whatif"))
    checks = {
        "zero_5xx": five_xx(result) == 0,
        "no_transport_errors": result["transport_errors"] == 0,
        "acknowledged_predict_whatif": acked_calls + 1,
        "inference_rows": len(db),
        "rows_equal_acknowledged_ids": not missing and not extra and acked_calls + 1 == len(acked),
        "missing_rows": missing[:10],
        "rows_without_acknowledgement": extra[:10],
        "rows_under_wrong_user": wrong_user[:10],
        "duplicate_ids": duplicates,
        "users": len(set(user_ids)),
        "unexpected_statuses": result["unexpected"][:10],
        "server_exit_code": exit_code,
        "server_log_problems": server_log_problems(work / "server.log"),
    }
    ok = (
        checks["zero_5xx"]
        and checks["no_transport_errors"]
        and checks["rows_equal_acknowledged_ids"]
        and not wrong_user
        and not duplicates
        and not result["unexpected"]
    )
    report = {
        "target": "unitrack",
        "pass": ok,
        "cpus": os.cpu_count(),
        "uptime": load,
        "args": vars(args),
        "checks": checks,
        "result": {k: v for k, v in result.items() if k not in ("bodies", "ids")},
    }
    path = save("unitrack", report)
    print_summary("unitrack", result, checks, load)
    print(f"\n{'PASS' if ok else 'FAIL'} -> {path.relative_to(ROOT)}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="target", required=True)
    fc = sub.add_parser("forecast", help="forecast API: >= 50,000 reads, a new run published halfway")
    fc.add_argument("--requests", type=int, default=50_000)
    fc.add_argument("--connections", type=int, default=64)
    fc.add_argument("--users", type=int, default=8)
    fc.add_argument("--port", type=int, default=18340)
    fc.add_argument("--max-seconds", type=int, default=900)
    fc.add_argument("--pg", default=None)
    ut = sub.add_parser("unitrack", help="UniTrack API: >= 20,000 mixed requests from >= 50 users")
    ut.add_argument("--requests", type=int, default=20_000)
    ut.add_argument("--users", type=int, default=50)
    ut.add_argument("--port", type=int, default=18341)
    ut.add_argument("--max-seconds", type=int, default=900)
    ut.add_argument("--pg", default=None)
    args = parser.parse_args()
    return soak_forecast(args) if args.target == "forecast" else soak_unitrack(args)


if __name__ == "__main__":
    raise SystemExit(main())
