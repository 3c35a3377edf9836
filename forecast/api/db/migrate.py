"""Programmatic Alembic: used by the CLI, the Railway pre-deploy step and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from api.config import FORECAST_DIR


def alembic_config(database_url: str) -> Config:
    config = Config(str(FORECAST_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(FORECAST_DIR / "api" / "db" / "migrations"))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
