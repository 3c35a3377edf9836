"""Publication of a staged run into the PostgreSQL run store (tables: runcontract/store.py).

The pipeline writes a run into its staging directory as for the folder store; this reads it back,
validates the bundle, and in ONE transaction inserts the run's row (the bundle as JSON), every other
file of the run (CSV, JSON, PNG) into ``run_files``, points ``run_latest`` at it, prunes the runs
beyond ``keep`` (never the new one) and sends a NOTIFY that every API replica listens for. PostgreSQL
delivers the NOTIFY only at commit, and a failure at any step rolls back all of it: a run is in the
store whole or not at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.pool import NullPool

from runcontract.run import RUN_BUNDLE_FILE, RunBundle
from runcontract.store import (
    LATEST_SLOT,
    NOTIFY_CHANNEL,
    PUBLISH_LOCK_KEY,
    media_type_of,
    run_files,
    run_latest,
    runs,
)
from servicekit.database import normalise_database_url

CONNECT_TIMEOUT_SECONDS = 10


def is_postgres_target(target: str) -> bool:
    return target.startswith(("postgres://", "postgresql://", "postgresql+psycopg2://"))


def read_staged_run(staged: Path, run_id: str) -> tuple[RunBundle, dict[str, Any], dict[str, bytes]]:
    """The validated bundle, its JSON document as written, and every other file by relative path."""
    raw = (staged / RUN_BUNDLE_FILE).read_bytes()
    bundle = RunBundle.model_validate_json(raw)
    if bundle.summary.run_id != run_id:
        raise ValueError(f"refusing to publish {staged}: its bundle names run {bundle.summary.run_id!r}")
    files = {
        path.relative_to(staged).as_posix(): path.read_bytes()
        for path in sorted(staged.rglob("*"))
        if path.is_file() and path.name != RUN_BUNDLE_FILE
    }
    missing = [img.file for img in bundle.images if img.file not in files]
    if missing:
        raise ValueError(f"refusing to publish {staged}: images missing: {', '.join(missing)}")
    document: dict[str, Any] = json.loads(raw)
    return bundle, document, files


def insert_run(conn: Connection, run_id: str, bundle: RunBundle, document: dict[str, Any]) -> None:
    summary = bundle.summary
    sources = [a.summary.data.source for a in bundle.assets] or [summary.data.source]
    conn.execute(
        insert(runs).values(
            run_id=run_id,
            generated_at=summary.generated_at,
            schema_version=bundle.schema_version,
            data_source=", ".join(sources),
            assets=bundle.asset_names(),
            horizons=list(summary.horizons),
            verdict=summary.verdict,
            bundle=document,
        )
    )


def insert_files(conn: Connection, run_id: str, files: dict[str, bytes]) -> None:
    if files:
        rows = [
            {"run_id": run_id, "path": path, "media_type": media_type_of(path), "content": content}
            for path, content in files.items()
        ]
        conn.execute(insert(run_files), rows)


def point_latest(conn: Connection, run_id: str) -> None:
    upsert = pg_insert(run_latest).values(slot=LATEST_SLOT, run_id=run_id)
    conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[run_latest.c.slot], set_={"run_id": run_id, "updated_at": func.now()}
        )
    )


def prune(conn: Connection, keep: int, published: str) -> list[str]:
    """Deletes the runs beyond the newest ``keep`` (their files go with them), never ``published``."""
    kept = select(runs.c.run_id).order_by(runs.c.published_at.desc(), runs.c.run_id.desc()).limit(max(keep, 1))
    doomed = delete(runs).where(runs.c.run_id.not_in(kept), runs.c.run_id != published).returning(runs.c.run_id)
    return sorted(conn.execute(doomed).scalars())


def publish_to_postgres(database_url: str, staged: Path, run_id: str, keep: int = 5) -> str:
    """Publishes the staged run into the store at ``database_url``; returns the store's address without
    credentials (for the closing summary)."""
    bundle, document, files = read_staged_run(staged, run_id)
    url = normalise_database_url(database_url, Path.cwd())
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    try:
        with engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(PUBLISH_LOCK_KEY)))
            insert_run(conn, run_id, bundle, document)
            insert_files(conn, run_id, files)
            point_latest(conn, run_id)
            prune(conn, keep, run_id)
            conn.execute(select(func.pg_notify(NOTIFY_CHANNEL, run_id)))
        return f"{engine.url.render_as_string(hide_password=True)} (run {run_id})"
    finally:
        engine.dispose()
