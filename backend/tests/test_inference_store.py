"""The inference store behind /predict, /whatif and /history: asyncpg on PostgreSQL, where the
model runs, and how DATABASE_URL options reach the asyncpg pool."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.db.engine import connect_kwargs, create_db_engine, statement_cache_size
from app.db.errors import did_not_run
from app.db.inference_store import PgInferenceStore
from app.db.pg_pool import PgStatement, _did_not_run, pool_connect_kwargs
from app.db.sql_inference_store import SqlInferenceStore
from testkit.databases import terminate_backends

from students import STUDENT

PREDICT = {"cod_persona": 7, "cod_curso": "CS2H1", "features": STUDENT}


def _settings(url: str, **overrides: Any) -> Settings:
    return Settings(_env_file=None, app_env="test", auth_mode="local", database_url=url, **overrides)


def test_database_url_options_reach_asyncpg():
    url = (
        "postgres://app:s3cret@db.example.com:5432/unitrack?sslmode=verify-full&sslrootcert=/certs/ca.pem"
        "&options=-c%20search_path%3Dapp&application_name=web&connect_timeout=3"
    )
    kwargs = connect_kwargs(_settings(url, db_statement_timeout_ms=9000, db_query_timeout_seconds=12))
    dsn = make_url(kwargs["dsn"])
    assert (dsn.drivername, dsn.host, dsn.port, dsn.username, dsn.password, dsn.database) == (
        "postgresql",
        "db.example.com",
        5432,
        "app",
        "s3cret",
        "unitrack",
    )
    # asyncpg reads the ssl options from the DSN; the rest are translated or dropped.
    assert dict(dsn.query) == {"sslmode": "verify-full", "sslrootcert": "/certs/ca.pem"}
    assert kwargs["server_settings"] == {
        "application_name": "web",
        "search_path": "app",
        "statement_timeout": "9000",
    }
    assert kwargs["timeout"] == 5 and kwargs["command_timeout"] == 12  # DB_CONNECT_TIMEOUT_SECONDS wins
    assert pool_connect_kwargs(_settings(url))["statement_cache_size"] > 0


def test_the_engine_url_carries_no_host_or_password():
    engine = create_db_engine(_settings("postgresql://app:s3cret@db.example.com:5432/unitrack"))
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg"
    assert "s3cret" not in repr(engine) and "db.example.com" not in repr(engine)
    assert "s3cret" not in engine.url.render_as_string(hide_password=False)


def test_the_transaction_pooler_gets_no_prepared_statements_unless_told_otherwise():
    pooler = "postgresql://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres"
    assert statement_cache_size(_settings(pooler), 6543) == 0
    assert pool_connect_kwargs(_settings(pooler))["statement_cache_size"] == 0
    assert pool_connect_kwargs(_settings(pooler, db_statement_cache_size=64))["statement_cache_size"] == 64
    direct = "postgresql://postgres:pw@db.ref.supabase.co:5432/postgres"
    assert pool_connect_kwargs(_settings(direct, db_statement_cache_size=0))["statement_cache_size"] == 0
    from app.db import engine as db_engine

    # The engine's own cache is off there too, and every statement it prepares gets a name of its
    # own (tests/test_transaction_pooler.py runs both behind PgBouncer).
    assert db_engine._unique_statement_name() != db_engine._unique_statement_name()


def test_statements_are_compiled_by_sqlalchemy_with_their_parameters_in_order():
    statement = PgStatement.from_core(text("SELECT CAST(:b AS int) + CAST(:a AS int) + CAST(:b AS int)"))
    assert statement.sql == "SELECT CAST($1 AS int) + CAST($2 AS int) + CAST($1 AS int)"
    assert statement.args({"a": 1, "b": 2}) == [2, 1]


def test_libpq_only_url_options_are_dropped_and_logged_by_name_only(monkeypatch):
    from app.db import engine

    warnings: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(engine, "log", SimpleNamespace(warning=lambda event, **kw: warnings.append((event, kw))))
    kwargs = connect_kwargs(_settings("postgresql://u:pw@h/db?keepalives_idle=30&target_session_attrs=read-write"))
    assert dict(make_url(kwargs["dsn"]).query) == {"target_session_attrs": "read-write"}
    assert warnings == [("database_url_options_ignored", {"options": ["keepalives_idle"]})]


def test_only_a_goodbye_before_running_makes_a_statement_go_again():
    goodbye = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    goodbye.__cause__ = asyncpg.exceptions.AdminShutdownError("terminating connection")
    cut = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    closed = asyncpg.InterfaceError("cannot perform operation: connection is closed")
    assert did_not_run(goodbye) and did_not_run(closed)
    assert not did_not_run(cut)  # the engine's session: may have run, so the request fails (503)
    assert _did_not_run(goodbye, idempotent=False) and _did_not_run(goodbye, idempotent=True)
    assert not _did_not_run(cut, idempotent=False)  # the hot path's write: may have committed
    assert _did_not_run(cut, idempotent=True)  # a read can simply go again
    assert not _did_not_run(TimeoutError(), idempotent=True)  # a black hole: no second wait


def test_the_store_follows_the_database_url():
    from app.db.inference_store import build_inference_store

    store = build_inference_store(_settings("postgresql://u@h/db"), session_factory=None)  # type: ignore[arg-type]
    assert isinstance(store, PgInferenceStore)
    assert isinstance(build_inference_store(_settings("sqlite:///x.db"), session_factory=None), SqlInferenceStore)  # type: ignore[arg-type]


@pytest.mark.parametrize("compiled", [False, True], ids=["reference_in_its_own_thread", "compiled_on_the_loop"])
async def test_the_reference_model_runs_in_one_thread_and_the_compiled_one_on_the_loop(
    make_client, model_file, auth_headers, compiled
):
    from app.ml.runtime.runtime import CompileOptions
    from app.services.engine_loading import build_engine

    engine = build_engine(model_file, CompileOptions(enabled=compiled))
    if compiled:
        assert engine.runtime.compile_now().kind == "onnx"
    threads: list[int] = []
    scorer = engine.runtime._compiled if compiled else engine.runtime.reference
    original = scorer.scores

    def recording(rows):
        threads.append(threading.get_ident())
        return original(rows)

    scorer.scores = recording
    loop_thread = threading.get_ident()  # httpx's ASGI transport runs the app on this loop
    async with make_client(engine=engine) as client:
        bodies = [PREDICT, {**PREDICT, "features": {**PREDICT["features"], "AVG_NG": 3}}]
        answers = await asyncio.gather(*(client.post("/api/v1/predict", json=b, headers=auth_headers) for b in bodies))
        assert [a.status_code for a in answers] == [200, 200]
        whatif = {**PREDICT, "deltas": {"AVG_NG": 1}}
        assert (await client.post("/api/v1/whatif", json=whatif, headers=auth_headers)).status_code == 200
    engine.runtime.close()
    served = threads[:3] if not compiled else [t for t in threads if t == loop_thread]
    assert len(served) == 3
    if compiled:
        assert all(thread == loop_thread for thread in served)
    else:  # one dedicated thread for every request, never the loop
        assert len(set(served)) == 1 and served[0] != loop_thread


@pytest.mark.postgres
async def test_a_pooled_connection_the_server_dropped_is_replaced_not_a_503(
    make_client, clean_db, auth_headers, count_rows, capsys
):
    async with make_client(log_level="INFO") as client:
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=auth_headers)).status_code == 200
        with clean_db.begin() as conn:  # what a database restart or an idle timeout does
            dropped = terminate_backends(conn, "application_name = :app", app="unitrack-api-asyncpg")
        assert dropped >= 1
        # At once, before the event loop has read the server's goodbye on the idle connection:
        # the write finds out when it is sent, and is sent again on a new connection.
        capsys.readouterr()
        predict = await client.post("/api/v1/predict", json=PREDICT, headers=auth_headers)
        assert predict.status_code == 200, predict.text
        [replaced] = [line for line in capsys.readouterr().out.splitlines() if "database_connection_replaced" in line]
        assert "ConnectionDoesNotExistError" in replaced
        history = await client.get("/api/v1/history", headers=auth_headers)
        assert history.status_code == 200 and history.json()["total"] == 2
    assert count_rows() == 2


@pytest.mark.postgres
async def test_an_engine_connection_the_server_dropped_is_replaced_not_a_503(
    make_client, clean_db, auth_headers, capsys
):
    # The engine (/auth/me, /courses) pings no connection before lending it either (app/db/session.py).
    async with make_client(log_level="INFO") as client:
        assert (await client.get("/api/v1/auth/me", headers=auth_headers)).status_code == 200
        with clean_db.begin() as conn:
            dropped = terminate_backends(conn, "application_name = :app", app="unitrack-api")
        assert dropped >= 1
        capsys.readouterr()
        me = await client.get("/api/v1/auth/me", headers=auth_headers)
        assert me.status_code == 200, me.text
        assert "database_connection_replaced" in capsys.readouterr().out
        assert (await client.get("/api/v1/courses", headers=auth_headers)).status_code == 200


@pytest.mark.postgres
async def test_a_database_that_refuses_the_login_is_a_503_not_a_500(
    make_client, database_url, auth_headers, count_rows
):
    missing = make_url(database_url).set(database="no_such_database").render_as_string(hide_password=False)
    async with make_client(database_url=missing) as client:
        for method, path, body in (
            ("POST", "/api/v1/predict", PREDICT),
            ("GET", "/api/v1/history", None),
        ):
            response = await client.request(method, path, json=body, headers=auth_headers)
            assert response.status_code == 503, response.text
            assert response.json()["error"] == "database_unavailable"
            assert "no_such_database" not in response.text
    assert count_rows() == 0
