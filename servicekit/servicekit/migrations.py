"""Alembic's run step, shared by both services' ``env.py``: each resolves its own URL and metadata.

Migrations run on a sync engine on purpose: they run once per deploy, outside any request, and
Alembic's sync path needs no event loop."""

from __future__ import annotations

from collections.abc import Sequence
from logging.config import fileConfig

from alembic import context
from sqlalchemy import MetaData, create_engine, pool


def configure_alembic_logging() -> None:
    """The ini file's logging, unless the caller (a test, the app at start-up) asked to keep its own."""
    config = context.config
    if config.config_file_name is not None and config.attributes.get("configure_logger", True):
        fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_alembic(
    url: str, target_metadata: MetaData | Sequence[MetaData], *, render_as_batch: bool | None = None
) -> None:
    """Runs the migrations Alembic was asked for, offline (SQL printed) or online (on ``url``).

    ``render_as_batch`` defaults to "only on SQLite", whose ALTER TABLE needs copy-and-move."""
    batch = url.startswith("sqlite") if render_as_batch is None else render_as_batch
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=batch)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=batch)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
