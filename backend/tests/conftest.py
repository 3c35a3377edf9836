"""Shared fixtures: a migrated database, a loopback JWKS server, real tokens and an app client.

Every test that uses the database runs twice, on SQLite (the embedded default ``make run`` uses)
and on PostgreSQL (production): its id ends in ``[sqlite]`` or ``[postgres]``. Tests marked
``postgres`` (or using the ``pg_proxy`` fault fixture) test PostgreSQL-only code and run once.
See testkit/databases.py for where the databases come from and ``TEST_DB`` to run one half.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from app.cli import alembic_config
from app.core.config import Settings, normalize_database_url
from app.db.engine import create_db_engine, make_session_factory
from app.db.session import transaction
from app.main import create_app
from app.ml.runtime.runtime import CompileOptions
from app.services.engine_loading import load_engine
from app.services.inference import ModelEngine
from testkit.databases import migrated_database, selected_backends
from testkit.students import save_student_model

# app (backend/), servicekit and testkit are installed editable (make dev-deps). pytest.ini's pythonpath
# adds this folder (authkit, students) and contracts/python: the contract fixtures recorder lives with
# the Zod tests that read its output.
from authkit import HS_SECRET, ISSUER, JWKSServer, bearer, make_token
from contract_fixtures import FixtureRecorder

ORIGINS = "https://app.example.com,https://preview.example.com"


# -- database ----------------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise every test that reaches the database (through any fixture) by backend."""
    if "db_kind" not in metafunc.fixturenames:
        return
    kinds = selected_backends()
    if metafunc.definition.get_closest_marker("postgres") or "pg_proxy" in metafunc.fixturenames:
        kinds = [kind for kind in kinds if kind == "postgres"]
    # Session scope: pytest runs every [sqlite] test, then every [postgres] one, each on one database.
    metafunc.parametrize("db_kind", kinds, indirect=True, scope="session")


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``: the backend this run of the test uses."""
    return request.param


def migrate_to_head(url: str) -> None:
    from alembic import command

    config = alembic_config(url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def database_url(db_kind, tmp_path_factory) -> Iterator[str]:
    with migrated_database(db_kind, tmp_path_factory.mktemp("db"), "unitrack_test", migrate_to_head) as url:
        yield url


@pytest.fixture(scope="session")
def db_engine(database_url) -> Iterator[Engine]:
    engine = create_engine(normalize_database_url(database_url))
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE idempotency_keys, inferences, users, courses, rate_limits"))
        else:
            for table in ("idempotency_keys", "inferences", "users", "courses", "rate_limits"):
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def clean_db(db_engine) -> Iterator[Engine]:
    """Per-test isolation: every table is emptied after the test (the app commits for real)."""
    _truncate(db_engine)
    yield db_engine
    _truncate(db_engine)


@pytest.fixture
def count_rows(clean_db) -> Callable[[str], int]:
    def count(table: str = "inferences") -> int:
        with clean_db.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    return count


@pytest.fixture
def count_calls(monkeypatch) -> Callable[[type, str], dict[str, int]]:
    """``count_calls(Class, "method")`` counts calls to that method; the real method still runs."""

    def spy(cls: type, name: str) -> dict[str, int]:
        calls = {"n": 0}
        real = getattr(cls, name)

        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            return real(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, counted)
        return calls

    return spy


# -- auth --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _jwks_server() -> Iterator[JWKSServer]:
    server = JWKSServer()
    yield server
    server.close()


@pytest.fixture
def jwks_server(_jwks_server) -> JWKSServer:
    _jwks_server.reset()
    return _jwks_server


@pytest.fixture
def token() -> str:
    return make_token("ES256")


@pytest.fixture
def auth_headers(token) -> dict[str, str]:
    return bearer(token)


# -- app ---------------------------------------------------------------------------------------


@pytest.fixture
def settings_factory(database_url, jwks_server, tmp_path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "_env_file": None,
            "app_env": "test",
            "auth_mode": "supabase",
            "supabase_jwks_url": jwks_server.url,
            "supabase_issuer": ISSUER,
            "supabase_jwt_secret": HS_SECRET,
            "database_url": database_url,
            "model_path": tmp_path / "no-model-here" / "model.pkl",
            "frontend_origin": ORIGINS,
            "local_auth_key_path": tmp_path / ".local_auth" / "key.pem",
            "log_level": "WARNING",
            # Off unless a test turns it on: the shared counters would leak between tests.
            "rate_limit_predict": "0",
            "redis_url": None,
            "model_compile": False,
            "model_watch_seconds": 0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def fixture_recorder() -> Iterator[FixtureRecorder]:
    recorder = FixtureRecorder("unitrack")
    yield recorder
    recorder.write()


@pytest.fixture
def make_client(settings_factory, clean_db, fixture_recorder):
    @asynccontextmanager
    async def factory(engine: ModelEngine | None = None, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings_factory(**overrides), model_engine=engine)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://testserver",
                event_hooks={"response": [fixture_recorder.hook(app)]},
            ) as client:
                client.app = app  # type: ignore[attr-defined]
                yield client

    return factory


@pytest.fixture
async def client(make_client) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


@pytest.fixture
async def db_session(settings_factory, clean_db) -> AsyncIterator[Callable[[], Any]]:
    """``async with db_session() as session``: one transaction on the app's kind of engine, committed
    when the block ends (rolled back when it raises), as the request's session dependency does."""
    engine = create_db_engine(settings_factory())
    factory = make_session_factory(engine)
    yield lambda: transaction(factory)
    await engine.dispose()


# -- a real model, trained here ----------------------------------------------------------------


@pytest.fixture(scope="session")
def model_file(tmp_path_factory) -> Path:
    return save_student_model(tmp_path_factory.mktemp("model") / "model.pkl")


@pytest.fixture
def real_engine(model_file) -> ModelEngine:
    # Served by the reference scorer, so recorded responses never depend on when a background compile
    # finishes; the compiled path has its own tests (tests/ml/test_model_runtime.py).
    engine = load_engine(model_file, CompileOptions(enabled=False))
    assert not engine.is_mock, engine.status()
    return engine
