"""What a benchmark run concludes: every acknowledged /predict has its row, the medians against the
targets (issue 2, "Speed"), the printed table and results/latest.json."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from testkit.servers import UVICORN_FLAGS

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"predict_p50_ms": 5.0, "predict_p99_ms": 25.0, "predict_rps": 300.0, "history_p50_ms": 5.0}


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
