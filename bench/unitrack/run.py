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
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from testkit.servers import stop, wait_up

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BACKEND = ROOT / "backend"
MODEL = ROOT / "ml_models" / "models" / "model.pkl"
RESULTS = HERE / "results"
PY = sys.executable
SEED_VERSION = "bench-seed"
TARGETS = {"predict_p50_ms": 5.0, "predict_p99_ms": 25.0, "predict_rps": 300.0, "history_p50_ms": 5.0}
PREDICT_BODY = {
    "cod_persona": 8839,
    "cod_curso": "CS2H1",
    "features": {"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3, "AVG_NG": 12.5, "PRCTJE-NPC-S": 20},
}


# -- database ------------------------------------------------------------------------------------


def _connect(pg: str, db: str, autocommit: bool = True) -> Any:
    import psycopg2

    conn = psycopg2.connect(f"{pg.rstrip('/')}/{db}")
    conn.autocommit = autocommit
    return conn


def prepare_database(args: argparse.Namespace, user_ids: list[str], feature_names: list[str]) -> str:
    admin = _connect(args.pg, "postgres")
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.db,))
        exists = cur.fetchone() is not None
        if exists and args.reseed:
            cur.execute(f'DROP DATABASE "{args.db}" WITH (FORCE)')
            exists = False
        if not exists:
            cur.execute(f'CREATE DATABASE "{args.db}"')
    admin.close()
    url = f"{args.pg.rstrip('/')}/{args.db}"
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "dev"}
    subprocess.run(
        [PY, "-m", "app.cli", "migrate"],
        cwd=BACKEND,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    conn = _connect(args.pg, args.db)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM inferences WHERE version = %s", (SEED_VERSION,))
        seeded = cur.fetchone()[0]
        if seeded == args.rows:
            print(f"==> reusing {args.db}: {seeded:,} seeded rows; deleting rows from earlier bench runs", flush=True)
            cur.execute("DELETE FROM inferences WHERE version <> %s", (SEED_VERSION,))
        else:
            seed(cur, args, user_ids, feature_names)
        started = time.perf_counter()
        cur.execute("VACUUM ANALYZE users")
        cur.execute("VACUUM ANALYZE inferences")
        print(f"    VACUUM ANALYZE {time.perf_counter() - started:.1f}s", flush=True)
        cur.execute("SELECT count(*), count(DISTINCT user_id) FROM inferences")
        total, users = cur.fetchone()
    conn.close()
    print(f"    {total:,} inference rows over {users:,} users", flush=True)
    return url


def stand_in_for_autovacuum(args: argparse.Namespace) -> float | None:
    """VACUUM the rows the previous run's predict phase added, when the server will not.

    /history counts a user's rows with an index-only scan, which visits the heap for every page
    VACUUM has not yet marked all-visible. This machine's PostgreSQL runs with autovacuum off
    (/etc/postgresql/15/main/conf.d/90-ci.conf), so without this each run would count more
    never-vacuumed rows than the last (7-9 ms per count by run 3); with autovacuum on, migration
    0003 has it vacuum the table after every 5,000 inserts.
    """
    conn = _connect(args.pg, args.db)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW autovacuum")
            if cur.fetchone()[0] == "on":
                return None
            started = time.perf_counter()
            cur.execute("VACUUM inferences")
            elapsed = time.perf_counter() - started
    finally:
        conn.close()
    print(f"    autovacuum is off on this server: VACUUM inferences ({elapsed:.1f}s) in its place", flush=True)
    return elapsed


def seed(cur: Any, args: argparse.Namespace, user_ids: list[str], feature_names: list[str]) -> None:
    print(
        f"==> seeding {args.db}: {args.rows:,} inferences over {args.seed_users:,} users "
        f"(the {len(user_ids)} bench users among them)",
        flush=True,
    )
    started = time.perf_counter()
    cur.execute("TRUNCATE users, inferences CASCADE")
    cur.execute(
        "INSERT INTO users (id, email) SELECT id::uuid, 'bench-user-' || n || '@bench.local' "
        "FROM unnest(%s::text[]) WITH ORDINALITY AS t(id, n)",
        (user_ids,),
    )
    cur.execute(
        "INSERT INTO users (id, email) SELECT gen_random_uuid(), 'seed-' || g || '@bench.local' "
        "FROM generate_series(1, %s) g",
        (args.seed_users - len(user_ids),),
    )
    # Rows shaped like what /predict stores: input with cod_persona/features/features_used, output with
    # prediction/explain/version. Features vary per row; output is realistic but shared.
    features = ", ".join(
        f"'{name}', round(((hashint4(g * 31 + {k}) & 65535) / 655.36)::numeric, 2)"
        for k, name in enumerate(feature_names)
    )
    output = {
        "prediction": {"label": "Aprobar", "score": 0.734512},
        "explain": [{"feature": n, "impact": round(0.1 / (i + 1), 6)} for i, n in enumerate(feature_names)],
        "version": "demo-synthetic-v1",
    }
    cur.execute("CREATE TEMP TABLE seed_users AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS n, id FROM users")
    cur.execute("CREATE INDEX ON seed_users (n)")
    cur.execute("SELECT count(*) FROM seed_users")
    n_users = cur.fetchone()[0]
    cur.execute(
        f"""
        INSERT INTO inferences (id, user_id, kind, cod_curso, input, output, version, created_at)
        SELECT gen_random_uuid(), u.id,
               CASE WHEN g %% 10 = 0 THEN 'whatif' ELSE 'predict' END,
               'CS' || (g %% 300),
               jsonb_build_object('cod_persona', g %% 50000, 'features', f.f, 'features_used', f.f),
               %s::jsonb, %s,
               now() - make_interval(secs => g * 3)
        FROM generate_series(1, %s) g
        JOIN seed_users u ON u.n = (hashint4(g) & 2147483647) %% %s
        CROSS JOIN LATERAL (SELECT jsonb_build_object({features}) AS f) f
        """,
        (json.dumps(output), SEED_VERSION, args.rows, n_users),
    )
    print(f"    seeded in {time.perf_counter() - started:.1f}s", flush=True)


def rows_per_user(pg: str, db: str, user_ids: list[str]) -> dict[str, int]:
    conn = _connect(pg, db)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT user_id::text, count(*) FROM inferences WHERE user_id = ANY(%s::uuid[]) GROUP BY user_id",
            (user_ids,),
        )
        counts = dict(cur.fetchall())
    conn.close()
    return {uid: counts.get(uid, 0) for uid in user_ids}


# -- servers ---------------------------------------------------------------------------------------


UVICORN_FLAGS = [
    "--host",
    "127.0.0.1",
    "--workers",
    "1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
]


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


def start_server(app: str, port: int, env: dict[str, str], log_path: Path, extra: list[str]) -> subprocess.Popen[bytes]:
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen(
        [PY, "-m", "uvicorn", app, "--port", str(port), *UVICORN_FLAGS, *extra],
        cwd=BACKEND,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# -- load ----------------------------------------------------------------------------------------


def run_load(
    client: str,
    port: int,
    method: str,
    path: str,
    tokens_file: Path,
    body_file: Path | None,
    duration: float,
    rate: float = 0,
) -> dict[str, Any]:
    """One load phase. ``rate`` > 0: open loop at that total rate (pyload.py); else closed loop."""
    if client == "wrk" and not rate:
        n = len(tokens_file.read_text().split())
        env = {
            **os.environ,
            "BENCH_TOKENS": str(tokens_file),
            "BENCH_METHOD": method,
            "BENCH_PATH": path,
            "BENCH_BODY": str(body_file or ""),
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
            f"http://127.0.0.1:{port}",
        ]
    else:
        env = dict(os.environ)
        cmd = [
            PY,
            str(HERE / "pyload.py"),
            "--port",
            str(port),
            "--method",
            method,
            "--path",
            path,
            "--tokens",
            str(tokens_file),
            "--duration",
            str(duration),
            "--rate",
            str(rate),
        ]
        if body_file:
            cmd += ["--body", str(body_file)]
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
    port: int,
    method: str,
    path: str,
    tokens_file: Path,
    body_file: Path | None,
    args: argparse.Namespace,
    server_pid: int,
    before_measure: Any = None,
) -> dict[str, Any]:
    """Warm-up, then latency at the target rate (open loop), then throughput (closed loop)."""
    run_load(client, port, method, path, tokens_file, body_file, 2)
    if before_measure:
        time.sleep(1.0)  # requests wrk abandoned at the end of the warm-up may still be committing
        before_measure()
    at_rate = measured(
        f"{name} @{args.rate:.0f}/s",
        server_pid,
        lambda: run_load("python", port, method, path, tokens_file, body_file, args.duration, rate=args.rate),
    )
    saturated = measured(
        f"{name} max", server_pid, lambda: run_load(client, port, method, path, tokens_file, body_file, args.duration)
    )
    return {"at_rate": at_rate, "max": saturated}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- main ----------------------------------------------------------------------------------------


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
            run["history"] = endpoint_phases(
                "history",
                client,
                args.port,
                "GET",
                "/api/v1/history?limit=50&offset=0",
                tokens_file,
                None,
                args,
                api.pid,
            )
            run["reference"] = endpoint_phases(
                "reference", client, args.ref_port, "POST", "/predict", tokens_file, body_file, args, ref.pid
            )
            before: dict[str, int] = {}
            run["predict"] = endpoint_phases(
                "predict",
                client,
                args.port,
                "POST",
                "/api/v1/predict",
                tokens_file,
                body_file,
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


def check_rows(
    predict: dict[str, Any], user_ids: list[str], before: dict[str, int], after: dict[str, int], in_flight_max: int
) -> dict[str, Any]:
    problems = []
    acked_total = stored_total = 0
    acked = dict.fromkeys(user_ids, 0)
    for ph in ("at_rate", "max"):
        for entry in predict[ph]["per_user"]:
            acked[user_ids[entry["user_index"]]] += entry["ok"]
    for uid in user_ids:
        stored = after[uid] - before[uid]
        acked_total += acked[uid]
        stored_total += stored
        # Every acknowledged request has its row; at most `in_flight_max` extra rows per connection
        # (a request wrk abandoned when its time was up, which the server still committed).
        if not acked[uid] <= stored <= acked[uid] + in_flight_max:
            problems.append({"user": uid, "acked": acked[uid], "stored": stored})
    ok = not problems
    print(
        f"    rows: {acked_total} acknowledged, {stored_total} stored over {len(user_ids)} users: "
        f"{'OK' if ok else 'MISMATCH ' + json.dumps(problems)}",
        flush=True,
    )
    return {"acknowledged": acked_total, "stored": stored_total, "ok": ok, "problems": problems}


def report(args: argparse.Namespace, client: str, runs: list[dict[str, Any]], work: Path) -> int:
    endpoints = ("predict", "reference", "history")
    keys = ("rps", "p50_ms", "p90_ms", "p99_ms", "server_cpu_ms_per_request", "machine_busy_pct")
    summary = {
        ep: {ph: {k: statistics.median(r[ep][ph][k] for r in runs) for k in keys} for ph in ("at_rate", "max")}
        for ep in endpoints
    }
    rows_ok = all(r["rows"]["ok"] for r in runs)
    no_errors = all(
        r[ep][ph]["non_2xx"] == 0 and not r[ep][ph]["socket_errors"]
        for r in runs
        for ep in endpoints
        for ph in ("at_rate", "max")
    )
    pr, hi = summary["predict"], summary["history"]
    checks = {
        "predict_p50": pr["at_rate"]["p50_ms"] <= TARGETS["predict_p50_ms"],
        "predict_p99": pr["at_rate"]["p99_ms"] <= TARGETS["predict_p99_ms"],
        "predict_rps": min(pr["at_rate"]["rps"], pr["max"]["rps"]) >= TARGETS["predict_rps"] * 0.98
        and pr["max"]["rps"] >= TARGETS["predict_rps"],
        "history_p50": hi["at_rate"]["p50_ms"] <= TARGETS["history_p50_ms"],
        "rows_present": rows_ok,
        "no_errors": no_errors,
    }
    print(
        f"\nmedian of {len(runs)} runs ({args.duration:.0f}s per phase, {args.users} connections = users, "
        f"{os.cpu_count()} CPUs); latency: open loop at {args.rate:.0f} req/s (pyload.py); "
        f"throughput: closed loop ({client})"
    )
    print(
        f"{'endpoint':<11}{'@rate req/s':>12}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'CPU-ms/req':>11}"
        f"{'  | max req/s':>12}{'p50 ms':>8}{'p99 ms':>8}{'CPU-ms/req':>11}"
    )
    for ep in endpoints:
        a, m = summary[ep]["at_rate"], summary[ep]["max"]
        print(
            f"{ep:<11}{a['rps']:>12.0f}{a['p50_ms']:>8.2f}{a['p90_ms']:>8.2f}{a['p99_ms']:>8.2f}"
            f"{a['server_cpu_ms_per_request']:>11.2f}{'  |':>4}{m['rps']:>8.0f}{m['p50_ms']:>8.2f}"
            f"{m['p99_ms']:>8.2f}{m['server_cpu_ms_per_request']:>11.2f}"
        )
    print(
        "targets: predict p50 <= 5 ms and p99 <= 25 ms at >= 300 req/s, max >= 300 req/s, every acknowledged "
        "row present; history p50 <= 5 ms"
    )
    for name, passed in checks.items():
        print(f"  {name:<14}{'PASS' if passed else 'FAIL'}")
    print("load average at the start of each run: " + "; ".join(r["loadavg_before"] for r in runs))
    for r in runs:
        for ep in endpoints:
            for ph in ("at_rate", "max"):
                r[ep][ph].pop("per_user", None)
    out = {
        "setup": {
            "rate_limit": args.rate_limit,
            "db_pool_size": args.db_pool_size,
            "duration_s": args.duration,
            "runs": args.runs,
            "connections": args.users,
            "rate": args.rate,
            "throughput_client": client,
            "latency_client": "pyload.py (open loop)",
            "cpus": os.cpu_count(),
            "rows_seeded": args.rows,
            "seed_users": args.seed_users,
            "uvicorn": UVICORN_FLAGS,
            "db": args.db,
        },
        "targets": TARGETS,
        "median": summary,
        "checks": checks,
        "pass": all(checks.values()),
        "runs": runs,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for name in ("latest.json", f"run-{stamp}.json"):
        (RESULTS / name).write_text(json.dumps(out, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
