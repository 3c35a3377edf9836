"""Load benchmark of the UniTrack API: /predict, /history and a bare model endpoint as the reference.

Setup (issue 2, "Speed"): one uvicorn worker (uvloop + httptools), PostgreSQL on 127.0.0.1:5432,
the demo model, 16 concurrent keep-alive clients, each a distinct user with a real local-mode
ES256 token verified through the JWKS code path. Targets:

* POST /api/v1/predict: p50 <= 5 ms, p99 <= 25 ms, >= 300 req/s, and every acknowledged (2xx)
  request's row is in ``inferences`` afterwards (counted per user);
* GET /api/v1/history: p50 <= 5 ms with 1,000,000 inference rows spread over many users;
* the reference: a bare FastAPI endpoint calling the same model engine (no auth, no DB, no
  middleware), served the same way, in the same run.

The script does everything itself:

1. trains the demo model if ``ml_models/models/model.pkl`` is missing;
2. creates (or reuses) the database ``unitrack_bench``, migrates it to head, and seeds 1,000,000
   inference rows over 2,000 users with one ``generate_series`` INSERT (about a minute; reused
   on the next run: only rows added by earlier benchmark runs are deleted), then VACUUM ANALYZE;
3. starts the API on port 18200 and the reference on 18201 (range 18200-18249);
4. per run (``--runs``, default 3): history, reference, predict, each ``--duration`` seconds after
   a short warm-up, counting the rows per user before and after predict; from the second run on,
   ``VACUUM inferences`` first when the server's autovacuum is off (``stand_in_for_autovacuum``);
5. prints a table (median of the runs, plus every run) and writes
   ``bench/unitrack/results/latest.json`` (gitignored).

    make bench-unitrack
    .venv/bin/python bench/unitrack/run.py [--duration 15] [--runs 3] [--client wrk|python]
        [--reseed] [--pg postgresql://postgres@127.0.0.1:5432] [--db unitrack_bench]

Modules beside this script: database.py (create, migrate, seed, count rows), phases.py (servers
and load phases), verdict.py (row check, targets, table and JSON).

Load generator: ``wrk`` (install with ``apt-get install -y wrk``), 16 threads x 1 connection so
each thread is one user (load.lua). Without wrk it falls back to ``pyload.py`` (raw asyncio
sockets, HTTP/1.1 keep-alive, separate process); on 2 cores that client takes noticeably more CPU
from the server than wrk, so its figures are pessimistic.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from database import prepare_database, rows_per_user, stand_in_for_autovacuum
from phases import Endpoint, endpoint_phases, loadavg, start_server, wait_serving
from verdict import RESULTS, check_rows, report

from testkit.servers import stop, wait_up

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODEL = ROOT / "ml_models" / "models" / "model.pkl"
PY = sys.executable
PREDICT_BODY = {
    "cod_persona": 8839,
    "cod_curso": "CS2H1",
    "features": {"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3, "AVG_NG": 12.5, "PRCTJE-NPC-S": 20},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per phase")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=300, help="offered req/s for the latency phases")
    parser.add_argument("--users", type=int, default=16, help="concurrent clients = distinct users")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed-users", type=int, default=2000)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--db", default="unitrack_bench")
    parser.add_argument("--reseed", action="store_true", help="drop and re-create the bench database")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--port", type=int, default=18200)
    parser.add_argument("--ref-port", type=int, default=18201)
    parser.add_argument(
        "--db-pool-size",
        type=int,
        default=16,
        help="DB_POOL_SIZE for the API: at least the number of concurrent clients, so the "
        "pool never opens and closes overflow connections under load (0 = the app's default)",
    )
    parser.add_argument(
        "--rate-limit",
        default="1000000/minute",
        help="RATE_LIMIT_PREDICT for the API: high enough never to answer 429 to the bench, "
        "so the limiter's cost is measured but it does not reject ('off' to leave it out)",
    )
    args = parser.parse_args()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
        if client == "python":
            print(
                "!! wrk not found (apt-get install -y wrk); using the Python client, which competes with the "
                "server for the 2 cores: figures are pessimistic",
                flush=True,
            )

    if not MODEL.exists():
        print("==> training the demo model", flush=True)
        subprocess.run([PY, str(ROOT / "ml_models" / "src" / "train.py")], check=True)

    RESULTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="unitrack-bench-"))
    key_path = RESULTS / ".local_auth" / "es256_private.pem"

    import jwt

    from app.core.config import Settings
    from app.core.local_auth import LocalSigner

    settings = Settings(
        app_env="dev", auth_mode="local", local_auth_key_path=key_path, local_token_ttl_seconds=24 * 3600
    )
    signer = LocalSigner(settings)
    tokens = [signer.issue(f"bench-user-{i:02d}@bench.local") for i in range(args.users)]
    user_ids = [jwt.decode(t, options={"verify_signature": False})["sub"] for t in tokens]
    tokens_file = work / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    body_file = work / "predict.json"
    body_file.write_text(json.dumps(PREDICT_BODY))
    card = json.loads((MODEL.parent / "model.json").read_text()) if (MODEL.parent / "model.json").exists() else {}
    feature_names = [f["name"] for f in card.get("features", [])] or list(PREDICT_BODY["features"])

    db_url = prepare_database(args, user_ids, feature_names)
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "AUTH_MODE": "local",
        "DATABASE_URL": db_url,
        "LOCAL_AUTH_KEY_PATH": str(key_path),
        "MODEL_PATH": str(MODEL),
        "LOG_LEVEL": "INFO",
        "FRONTEND_ORIGIN": "http://localhost:3000",
        "PYTHONUNBUFFERED": "1",
        "RATE_LIMIT_PREDICT": args.rate_limit,
    }
    if args.db_pool_size:
        env["DB_POOL_SIZE"] = str(args.db_pool_size)
    api = start_server("app.main:app", args.port, env, work / "api.log", [])
    ref = start_server("reference_app:app", args.ref_port, env, work / "reference.log", ["--app-dir", str(HERE)])
    runs: list[dict[str, Any]] = []
    try:
        wait_up(f"http://127.0.0.1:{args.port}/api/v1/readyz", api)
        wait_up(f"http://127.0.0.1:{args.ref_port}/healthz", ref)
        ready = wait_serving(f"http://127.0.0.1:{args.port}/api/v1/readyz", lambda doc: doc["model"])
        wait_serving(f"http://127.0.0.1:{args.ref_port}/healthz", lambda doc: doc)
        print(f"==> API ready: {json.dumps(ready.get('model', ready))[:160]}", flush=True)
        print(
            f"==> {args.runs} runs x (history, reference, predict), {args.duration:.0f}s each, "
            f"{args.users} connections/users, client={client}",
            flush=True,
        )
        for i in range(args.runs):
            run: dict[str, Any] = {"loadavg_before": loadavg()}
            print(f"--- run {i + 1}/{args.runs}, load average {run['loadavg_before']}", flush=True)
            if i > 0:
                run["vacuum_seconds"] = stand_in_for_autovacuum(args)
            history = Endpoint(args.port, "GET", "/api/v1/history?limit=50&offset=0", tokens_file)
            run["history"] = endpoint_phases("history", client, history, args, api.pid)
            reference = Endpoint(args.ref_port, "POST", "/predict", tokens_file, body_file)
            run["reference"] = endpoint_phases("reference", client, reference, args, ref.pid)
            before: dict[str, int] = {}
            run["predict"] = endpoint_phases(
                "predict",
                client,
                Endpoint(args.port, "POST", "/api/v1/predict", tokens_file, body_file),
                args,
                api.pid,
                before_measure=lambda: before.update(rows_per_user(args.pg, args.db, user_ids)),
            )
            time.sleep(1.0)  # let requests still in flight when the client stopped finish
            after = rows_per_user(args.pg, args.db, user_ids)
            run["rows"] = check_rows(run["predict"], user_ids, before, after, in_flight_max=1 if client == "wrk" else 0)
            run["loadavg_after"] = loadavg()
            runs.append(run)
    finally:
        stop(api)
        stop(ref)
    shutil.copy(work / "api.log", RESULTS / "api.log") if (work / "api.log").exists() else None
    return report(args, client, runs, work)


if __name__ == "__main__":
    raise SystemExit(main())
