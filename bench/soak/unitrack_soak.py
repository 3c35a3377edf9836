"""Soak of the UniTrack API: predict, whatif, history, /auth/me and bad requests from one connection
per user; no 5xx, and exactly one row per acknowledged write, each under its user."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from harness import (
    BACKEND,
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

from testkit.servers import stop, wait_up

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
    db_url = soak_database(args.pg, "unitrack_soak")
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

    engine = create_engine(db_url)  # the psycopg2 URL soak_database gives
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
