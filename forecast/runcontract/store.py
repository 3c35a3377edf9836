"""The run store in PostgreSQL (RUN_STORE=postgres): its tables, defined once for both sides.

The pipeline writes them (pipelines/publish_postgres.py), the API reads them
(api/services/postgres_runs.py) and its Alembic migration creates them (0002_run_store); neither side
imports the other.

    runs        one row per published run: the validated RunBundle as JSON, plus the columns GET /runs lists
    run_files   the run's other files (CSV, JSON, PNG) by path relative to the run, beside its row
    run_latest  one row: the run every replica serves by default (the folder store's LATEST file)

A run is published in one transaction (its rows, the latest row, the pruning and a NOTIFY on
:data:`NOTIFY_CHANNEL` whose payload is the run id), so a reader sees it whole or not at all.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

NOTIFY_CHANNEL = "forecast_runs"
LATEST_SLOT = 1
# Serialises publishers: two pipelines that publish at once prune and point LATEST one after the other.
PUBLISH_LOCK_KEY = 7_301_013

RUN_STORE_METADATA = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
_JSON = JSON().with_variant(JSONB(), "postgresql")

runs = Table(
    "runs",
    RUN_STORE_METADATA,
    Column("run_id", String(128), primary_key=True),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), server_default=func.now(), nullable=False, index=True),
    Column("schema_version", Integer, nullable=False),
    Column("data_source", Text, nullable=False),
    Column("assets", _JSON, nullable=False),
    Column("horizons", _JSON, nullable=False),
    Column("verdict", Text, nullable=False),
    Column("bundle", _JSON, nullable=False),
)

run_files = Table(
    "run_files",
    RUN_STORE_METADATA,
    Column("run_id", String(128), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(512), primary_key=True),
    Column("media_type", String(100), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

run_latest = Table(
    "run_latest",
    RUN_STORE_METADATA,
    Column("slot", SmallInteger, primary_key=True),
    Column("run_id", String(128), ForeignKey("runs.run_id"), nullable=False),
    Column("updated_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    CheckConstraint(f"slot = {LATEST_SLOT}", name="single_row"),
)

MEDIA_TYPES = {".csv": "text/csv", ".json": "application/json", ".png": "image/png", ".txt": "text/plain"}


def media_type_of(path: str) -> str:
    suffix = path[path.rfind(".") :].lower() if "." in path else ""
    return MEDIA_TYPES.get(suffix, "application/octet-stream")
