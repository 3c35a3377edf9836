"""The migrations apply and revert cleanly, on each backend (PostgreSQL's storage options too)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text

from app.cli import alembic_config
from app.core.config import normalize_database_url
from testkit.databases import migrated_database


def _no_migration(url: str) -> None:
    """The test runs the migrations itself."""


def test_migrations_run_up_down_and_up_again(db_kind, tmp_path):
    with migrated_database(db_kind, tmp_path, "unitrack_mig", _no_migration) as url:
        config = alembic_config(url)
        config.attributes["configure_logger"] = False
        engine = create_engine(normalize_database_url(url))
        try:
            _up_down_up(config, engine, postgres=db_kind == "postgres")
        finally:
            engine.dispose()


def _up_down_up(config, engine: Engine, *, postgres: bool) -> None:
    command.upgrade(config, "head")
    inspector = inspect(engine)
    assert {"users", "inferences", "courses"} <= set(inspector.get_table_names())
    indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("inferences")}
    assert indexes["ix_inferences_user_id_created_at"] == ["user_id", "created_at"]
    assert {name: indexes.get(name) for name in HISTORY_FILTER_INDEXES} == HISTORY_FILTER_INDEXES
    assert _index_columns(engine, "idempotency_keys")["ix_idempotency_keys_inference_id"] == ["inference_id"]
    command.downgrade(config, "0004_idempotency_keys")
    assert not set(HISTORY_FILTER_INDEXES) & set(_index_columns(engine, "inferences"))
    assert "ix_idempotency_keys_inference_id" not in _index_columns(engine, "idempotency_keys")
    command.upgrade(config, "head")
    assert {name: _index_columns(engine, "inferences").get(name) for name in HISTORY_FILTER_INDEXES} == (
        HISTORY_FILTER_INDEXES
    )
    [fk] = inspector.get_foreign_keys("inferences")
    assert fk["referred_table"] == "users" and fk["name"] == "fk_inferences_user_id_users"
    if postgres:
        columns = {c["name"]: c["type"].__class__.__name__ for c in inspector.get_columns("inferences")}
        assert columns["input"] == "JSONB" and columns["id"] == "UUID"
        assert _storage_options(engine) == {
            "autovacuum_vacuum_insert_threshold=5000",
            "autovacuum_vacuum_insert_scale_factor=0",
        }
        command.downgrade(config, "0002_rate_limits")
        assert _storage_options(engine) == set()
        command.upgrade(config, "head")

    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    command.upgrade(config, "head")
    assert {"users", "inferences", "courses"} <= set(inspect(engine).get_table_names())


# The indexes behind /history's cod_curso and kind filters (migration 0005).
HISTORY_FILTER_INDEXES = {
    "ix_inferences_user_id_cod_curso_created_at": ["user_id", "cod_curso", "created_at"],
    "ix_inferences_user_id_kind_created_at": ["user_id", "kind", "created_at"],
}


def _index_columns(engine: Engine, table: str) -> dict[str, list[str]]:
    return {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes(table)}


def _storage_options(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        options = conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'inferences'")).scalar()
    return set(options or ())
