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

Modules beside this script: forecast_soak.py and unitrack_soak.py (one run each), harness.py (what
they share: the database, the server, HTTP, the load client, the report).
"""

from __future__ import annotations

import argparse

from forecast_soak import soak_forecast
from unitrack_soak import soak_unitrack


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
