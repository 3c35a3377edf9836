"""RUN_STORE=postgres: runs published into the API's own database in one transaction, noticed through
LISTEN/NOTIFY, served (charts and CSVs too) from the database, older kept runs read by ?run_id=.
PostgreSQL only: the store is PostgreSQL's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

import pipelines.publish_postgres as publish_postgres
from api.bootstrap import create_user
from api.config import Settings
from api.main import create_app
from api.state import app_state
from runcontract.store import run_files, run_latest, runs
from servicekit.errors import ErrorResponse
from testkit.databases import terminate_backends
from tests.conftest import PASSWORD, TEST_SECRET, empty_tables, login, migrated_postgres_database
from tests.support.runs import FIXTURE_CSV, publish_fixture_run_to_postgres, stage_fixture_run

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_store_url() -> Iterator[str]:
    with migrated_postgres_database("forecast_runstore") as url:
        yield url.render_as_string(hide_password=False)


@pytest.fixture
def store_url(pg_store_url: str) -> Iterator[str]:
    yield pg_store_url
    empty_tables(pg_store_url)


def store_settings(database_url: str, tmp_path: Path, **overrides) -> Settings:
    values = dict(
        app_env="test",
        secret_key=TEST_SECRET,
        database_url=database_url,
        run_store="postgres",
        run_store_poll_seconds=60,  # longer than any wait below: a new run must come through NOTIFY
        results_dir=tmp_path / "unused",
        log_level="WARNING",
        access_log=False,
        admin_username=None,
        admin_password=None,
        admin_email=None,
        redis_url=None,
        db_connect_timeout_seconds=1,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def publish_run(store_url: str, tmp_path: Path):
    def publish(run_id: str, *, keep: int = 10, **kwargs) -> str:
        return publish_fixture_run_to_postgres(store_url, tmp_path / "staging", run_id, keep=keep, **kwargs)

    return publish


@pytest.fixture
async def pg_client(store_url: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    app = create_app(store_settings(store_url, tmp_path))
    with app_state(app).session_factory() as session, session.begin():
        create_user(session, "alice", "alice@example.com", PASSWORD)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            token = await login(client)
            yield client, {"Authorization": f"Bearer {token}"}


async def served_run(client: httpx.AsyncClient, auth: dict[str, str]) -> str | None:
    response = await client.get("/api/v1/methodology", headers=auth)
    return response.json()["run_id"] if response.status_code == 200 else None


async def wait_served(client: httpx.AsyncClient, auth: dict[str, str], run_id: str, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await served_run(client, auth) != run_id:
        assert asyncio.get_running_loop().time() < deadline, f"run {run_id} not served within {timeout} s"
        await asyncio.sleep(0.05)


def table_rows(url: str) -> tuple[list[str], list[tuple[str, str]], str | None]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            run_ids = sorted(conn.execute(select(runs.c.run_id)).scalars())
            files = sorted((r.run_id, r.path) for r in conn.execute(select(run_files.c.run_id, run_files.c.path)))
            latest = conn.execute(select(run_latest.c.run_id)).scalar()
    finally:
        engine.dispose()
    return run_ids, files, latest


async def test_a_replica_without_a_run_answers_503_in_the_error_shape(pg_client):
    client, auth = pg_client
    for path in ("/api/v1/forecasts/dashboard", "/api/v1/models/", "/api/v1/images/model_ranking"):
        response = await client.get(path, headers=auth)
        assert response.status_code == 503, path
        assert ErrorResponse.model_validate(response.json()).error == "no_run_published"
    assert (await client.get("/api/v1/health/ready")).status_code == 503
    listing = await client.get("/api/v1/runs", headers=auth)
    assert listing.status_code == 200 and listing.json() == {"runs": [], "total": 0, "latest_run_id": None}


async def test_a_store_whose_database_is_down_answers_503_not_500(tmp_path):
    app = create_app(store_settings("postgresql://postgres@127.0.0.1:1/nowhere", tmp_path))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            ready = await client.get("/api/v1/health/ready")
            assert ready.status_code == 503
            assert "run store" in ready.json()["services"]["results"]["message"]


async def test_a_published_run_reaches_a_running_replica_through_notify(pg_client, publish_run):
    client, auth = pg_client
    publish_run("run-a")
    await wait_served(client, auth, "run-a")  # the poll is 60 s: only the notification is this fast
    dash = await client.get("/api/v1/forecasts/dashboard", headers=auth)
    assert dash.status_code == 200 and dash.json()["last_actual_price"] == 2650.0
    publish_run("run-b", last_price=3000.0)
    await wait_served(client, auth, "run-b")
    assert (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()["last_actual_price"] == 3000.0


async def test_charts_and_csv_files_are_served_from_the_database(pg_client, publish_run):
    client, auth = pg_client
    publish_run("run-a")
    await wait_served(client, auth, "run-a")
    chart = await client.get("/api/v1/images/model_ranking", headers=auth)
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    csv = await client.get("/api/v1/runs/run-a/files/metrics.csv", headers=auth)
    assert csv.status_code == 200 and csv.content == FIXTURE_CSV and csv.headers["content-type"].startswith("text/csv")
    missing = await client.get("/api/v1/runs/run-a/files/nope.csv", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"] == "run_file_not_found"


def test_a_publish_that_fails_midway_leaves_nothing_behind(store_url, publish_run, tmp_path, monkeypatch):
    publish_run("run-a")
    before = table_rows(store_url)

    def broken_prune(*args, **kwargs):  # the last step before the commit: everything else is written
        raise RuntimeError("disk full")

    monkeypatch.setattr(publish_postgres, "prune", broken_prune)
    with pytest.raises(RuntimeError, match="disk full"):
        publish_run("run-b")
    assert table_rows(store_url) == before
    assert before[0] == ["run-a"] and before[2] == "run-a" and ("run-a", "metrics.csv") in before[1]


def test_a_run_with_a_missing_chart_is_refused_before_anything_is_written(store_url, tmp_path):
    staged = stage_fixture_run(tmp_path, "run-a")
    (staged / "images" / "model_ranking.png").unlink()
    with pytest.raises(ValueError, match="images missing"):
        publish_postgres.publish_to_postgres(store_url, staged, "run-a")
    assert table_rows(store_url) == ([], [], None)


def test_only_the_newest_runs_are_kept(store_url, publish_run):
    for run_id in ("run-1", "run-2", "run-3", "run-4"):
        publish_run(run_id, keep=2)
    run_ids, files, latest = table_rows(store_url)
    assert run_ids == ["run-3", "run-4"] and latest == "run-4"
    assert {run_id for run_id, _ in files} == {"run-3", "run-4"}  # the pruned runs' files went with them
    engine = create_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(run_latest)).scalar() == 1
    engine.dispose()


async def test_run_id_reads_an_older_kept_run_and_a_pruned_one_is_404(pg_client, publish_run):
    client, auth = pg_client
    publish_run("run-a", keep=2)
    publish_run("run-b", keep=2, last_price=3000.0)
    publish_run("run-c", keep=2, last_price=3100.0)  # prunes run-a
    await wait_served(client, auth, "run-c")
    dash = "/api/v1/forecasts/dashboard"
    assert (await client.get(dash, headers=auth)).json()["last_actual_price"] == 3100.0
    older = await client.get(dash, params={"run_id": "run-b"}, headers=auth)
    assert older.status_code == 200 and older.json()["last_actual_price"] == 3000.0
    forecasts = (await client.get("/api/v1/forecasts/", params={"run_id": "run-b"}, headers=auth)).json()
    assert {f["prediction_price"] > 2800 for f in forecasts["forecasts"]} == {True}
    assert (
        await client.get("/api/v1/images/model_ranking", params={"run_id": "run-b"}, headers=auth)
    ).status_code == 200
    for unknown in ("run-a", "never-published", "../etc"):
        response = await client.get(dash, params={"run_id": unknown}, headers=auth)
        assert response.status_code == 404, unknown
        assert ErrorResponse.model_validate(response.json()).error == "run_not_found"
    # The latest is still what a request without ?run_id= gets.
    assert (await client.get(dash, headers=auth)).json()["last_actual_price"] == 3100.0


async def test_runs_lists_the_kept_runs_newest_first(pg_client, publish_run):
    client, auth = pg_client
    publish_run("run-a", keep=2)
    publish_run("run-b", keep=2, horizons=(1, 5, 20))
    listing = await client.get("/api/v1/runs", headers=auth)
    assert listing.status_code == 200
    body = listing.json()
    assert [r["run_id"] for r in body["runs"]] == ["run-b", "run-a"] and body["total"] == 2
    assert body["latest_run_id"] == "run-b" and [r["latest"] for r in body["runs"]] == [True, False]
    newest = body["runs"][0]
    assert newest["data_source"] == "fixture" and newest["assets"] == ["fixture"]
    assert newest["horizons"] == [1, 5, 20] and "always-up" in newest["verdict"]
    assert newest["generated_at"].endswith("Z")
    assert (await client.get("/api/v1/runs")).status_code == 401


async def test_a_replica_whose_listening_connection_is_killed_listens_again(pg_client, publish_run, store_url):
    client, auth = pg_client
    publish_run("run-a")
    await wait_served(client, auth, "run-a")
    engine = create_engine(store_url)
    with engine.connect() as conn:
        killed = terminate_backends(conn, "query LIKE 'LISTEN%'")
    engine.dispose()
    assert killed == 1
    await asyncio.sleep(0.5)  # the replica notices the lost connection and listens on a new one
    publish_run("run-b", last_price=3000.0)
    await wait_served(client, auth, "run-b")  # the poll is 60 s: this came through the new LISTEN
