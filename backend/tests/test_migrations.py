"""The initial migration applies and reverts cleanly (on PostgreSQL when available)."""

from __future__ import annotations

from alembic import command
from dbkit import create_postgres_database, drop_postgres_database, sqlite_url
from sqlalchemy import Engine, create_engine, inspect, text

from app.cli import alembic_config
from app.core.config import normalize_database_url


def test_migrations_run_up_down_and_up_again(db_target, tmp_path):
    if db_target.kind == "postgresql":
        url = create_postgres_database(db_target.admin_url, prefix="unitrack_mig")
    else:
        url = sqlite_url(tmp_path)
    config = alembic_config(url)
    config.attributes["configure_logger"] = False
    engine = create_engine(normalize_database_url(url))
    try:
        command.upgrade(config, "head")
        inspector = inspect(engine)
        assert {"users", "inferences", "courses"} <= set(inspector.get_table_names())
        indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("inferences")}
        assert indexes["ix_inferences_user_id_created_at"] == ["user_id", "created_at"]
        [fk] = inspector.get_foreign_keys("inferences")
        assert fk["referred_table"] == "users" and fk["name"] == "fk_inferences_user_id_users"
        if db_target.kind == "postgresql":
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
    finally:
        engine.dispose()
        if db_target.kind == "postgresql":
            drop_postgres_database(db_target.admin_url, url)


def _storage_options(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        options = conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'inferences'")).scalar()
    return set(options or ())
