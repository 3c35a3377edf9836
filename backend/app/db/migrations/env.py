"""Alembic environment. The URL comes from ``config.attributes['database_url']`` (tests, CLI) or
from the app settings; it is never printed.

Migrations run on a sync engine with the URL's psycopg2 driver, on purpose: they run once per deploy,
outside any request, and Alembic's sync path needs no event loop. Every request goes through the
API's async engine (app/db/engine.py)."""

from __future__ import annotations

from alembic import context

from app.core.config import get_settings, normalize_database_url
from app.db.models import Base
from servicekit.migrations import configure_alembic_logging, run_alembic

configure_alembic_logging()


def _url() -> str:
    url = context.config.attributes.get("database_url")
    return normalize_database_url(url) if url else get_settings().sqlalchemy_url


run_alembic(_url(), Base.metadata)
