"""The benchmark's PostgreSQL database: created and migrated, seeded with 1,000,000 inference rows
once and reused, vacuumed between runs, and the rows per user counted around each predict phase."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from testkit.databases import named_postgres_database

BACKEND = Path(__file__).resolve().parents[2] / "backend"
SEED_VERSION = "bench-seed"


def _connect(pg: str, db: str, autocommit: bool = True) -> Any:
    import psycopg2

    conn = psycopg2.connect(f"{pg.rstrip('/')}/{db}")
    conn.autocommit = autocommit
    return conn


def ensure_database(pg: str, db: str, *, fresh: bool = False) -> str:
    """The database ``db`` on the server ``pg``, created if missing (afresh when ``fresh``) and
    migrated to head by the backend's own CLI; its URL."""
    url = named_postgres_database(pg, db, fresh=fresh)
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        cwd=BACKEND,
        env={**os.environ, "DATABASE_URL": url, "APP_ENV": "dev"},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return url


def prepare_database(args: argparse.Namespace, user_ids: list[str], feature_names: list[str]) -> str:
    url = ensure_database(args.pg, args.db, fresh=args.reseed)
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
