"""Fault-test fixtures: a dedicated Postgres database, a TCP proxy in front of it, apps without the
contract recorder (failure responses here are not the contract's examples)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

from api.config import Settings
from testkit.tcp_proxy import TcpProxy
from tests.conftest import TEST_SECRET, empty_tables, migrated_postgres_database


@pytest.fixture(scope="session")
def pg_url() -> Iterator[URL]:
    """A migrated database of its own on the test server (Postgres only: the faults are network faults)."""
    with migrated_postgres_database("forecast_faults") as url:
        yield url


@pytest.fixture
def pg_clean(pg_url: URL) -> Iterator[URL]:
    yield pg_url
    empty_tables(pg_url)


@pytest.fixture
def proxy(pg_url: URL) -> Iterator[TcpProxy]:
    with TcpProxy(pg_url.host or "127.0.0.1", pg_url.port or 5432) as p:
        yield p


@pytest.fixture
def fault_settings(results_dir: Path):
    def factory(url: URL, **overrides) -> Settings:
        values = dict(
            app_env="test",
            secret_key=TEST_SECRET,
            database_url=url.render_as_string(hide_password=False),
            results_dir=results_dir,
            results_poll_seconds=0.1,
            log_level="CRITICAL",
            access_log=False,
            admin_username=None,
            admin_password=None,
            admin_email=None,
            redis_url=None,
            login_max_failures=1000,
            auth_cache_seconds=0,
            db_connect_timeout_seconds=1,
            db_statement_timeout_ms=1000,
            db_pool_timeout_seconds=1,
            db_hard_timeout_seconds=2,
            db_pool_size=2,
        )
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return factory


async def plain_client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
            yield client
