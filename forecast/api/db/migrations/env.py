"""Alembic environment: the URL comes from the ``sqlalchemy.url`` option set by api.db.migrate, or from
the application's settings."""

from __future__ import annotations

from alembic import context

from api.config import get_settings
from api.db.models import Base
from runcontract.store import RUN_STORE_METADATA
from servicekit.migrations import configure_alembic_logging, run_alembic

configure_alembic_logging()


def _url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or get_settings().sqlalchemy_url


# The run store's tables are defined in the run contract, which the pipeline shares (runcontract/store.py).
run_alembic(_url(), [Base.metadata, RUN_STORE_METADATA], render_as_batch=True)
