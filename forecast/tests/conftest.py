"""Shared fixtures.

Databases: every test that uses ``database_url`` runs on SQLite and on PostgreSQL, as the backend
suite does (testkit/databases.py, shared by both): Postgres is the server named by TEST_DATABASE_URL,
or 127.0.0.1:5432 when that answers; a dedicated, uniquely named database is created there, migrated
with Alembic and dropped at the end. No Postgres: its half is skipped, or fails with CI=true.
TEST_DB=sqlite (or postgres) runs one half only.

Isolation: each test gets its own app, results directory and empty tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, delete
from sqlalchemy.engine import URL, make_url

from api.config import Settings
from api.db import migrate
from api.db.models import Base
from api.main import create_app
from api.state import app_state
from runcontract.store import RUN_STORE_METADATA
from testkit.databases import migrated_database, postgres_database, selected_backends
from tests.support.runs import publish_fixture_run

# The contract fixtures recorder lives with the Zod tests that read its output: contracts/python is on
# pytest.ini's pythonpath. api, pipelines and testkit are installed editable (make dev-deps).
from contract_fixtures import FixtureRecorder

TEST_SECRET = "test-secret-key-0123456789abcdef-0123456789"
PASSWORD = "correct horse battery staple"


@contextmanager
def migrated_postgres_database(prefix: str) -> Iterator[URL]:
    """A uniquely named, migrated database on the test server, dropped afterwards.

    Skips when no PostgreSQL is reachable, except with CI=true, where that is a failure.
    """
    with postgres_database(prefix, migrate.upgrade) as url:
        yield make_url(url)


@pytest.fixture(scope="session", params=selected_backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db"), "forecast_test", migrate.upgrade) as url:
        yield url


def empty_tables(url: str | URL) -> None:
    """Delete every row, children first (per-test isolation: the app commits for real)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in [*reversed(RUN_STORE_METADATA.sorted_tables), *reversed(Base.metadata.sorted_tables)]:
            conn.execute(delete(table))
    engine.dispose()


@pytest.fixture
def clean_db(database_url: str) -> Iterator[str]:
    yield database_url
    empty_tables(database_url)


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    path = tmp_path / "results"
    path.mkdir()
    return path


@pytest.fixture
def published(results_dir: Path, app) -> str:
    """A valid run, published and loaded (whether the app started before or after it)."""
    publish_fixture_run(results_dir, "run-a")
    app_state(app).run_store.refresh()
    return "run-a"


@pytest.fixture
def make_settings(clean_db: str, results_dir: Path):
    def factory(**overrides) -> Settings:
        values = dict(
            app_env="test",
            secret_key=TEST_SECRET,
            database_url=clean_db,
            results_dir=results_dir,
            results_poll_seconds=0.1,
            frontend_origin="http://localhost:3000",
            log_level="WARNING",
            login_max_failures=3,
            login_window_seconds=60,
            login_lockout_seconds=120,
            default_horizon=5,
            admin_username=None,
            admin_password=None,
            admin_email=None,
            redis_url=None,
        )
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return factory


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing() -> Iterator[None]:
    """Cheap argon2 parameters for speed; test_auth's timing test restores the real ones."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    import api.security as security

    real = (security._password_hash, security._DUMMY_HASH)
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    security._password_hash, security._DUMMY_HASH = cheap, cheap.hash("dummy")
    yield
    security._password_hash, security._DUMMY_HASH = real


@pytest.fixture
def real_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    import api.security as security

    real = PasswordHash((Argon2Hasher(),))
    monkeypatch.setattr(security, "_password_hash", real)
    monkeypatch.setattr(security, "_DUMMY_HASH", real.hash("dummy"))


@pytest.fixture(scope="session")
def recorder() -> Iterator[FixtureRecorder]:
    rec = FixtureRecorder("forecast")
    yield rec
    rec.write()


async def _client_for(app, recorder: FixtureRecorder) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", event_hooks={"response": [recorder.hook(app)]}
        ) as client:
            yield client


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
async def client(app, recorder: FixtureRecorder) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client_for(app, recorder):
        yield c


@pytest.fixture
def user(app) -> dict:
    from api.bootstrap import create_user

    with app_state(app).session_factory() as session, session.begin():
        user_id = create_user(session, "alice", "alice@example.com", PASSWORD)
    return {"id": user_id, "username": "alice", "password": PASSWORD}


async def login(client: httpx.AsyncClient, username: str = "alice", password: str = PASSWORD) -> str:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
async def token(client: httpx.AsyncClient, user: dict) -> str:
    return await login(client)


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
