"""Two forecast API replicas (real uvicorn processes) on one PostgreSQL run store: a run published while
both are read is served by both within 5 s, and no response mixes two runs; a run of three assets is
served per asset (?asset=) by both."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from api.bootstrap import create_user
from api.db.session import build_session_factory
from servicekit.errors import ErrorResponse
from testkit.servers import serving_replicas
from tests.conftest import PASSWORD, TEST_SECRET, migrated_postgres_database
from tests.support.runs import publish_fixture_run_to_postgres

pytestmark = pytest.mark.postgres
FORECAST_DIR = Path(__file__).resolve().parents[2]
NOTICE_SECONDS = 5.0
# Each run is told apart by its generated_at; every part of one response must carry the same one.
RUN_A = ("run-a", datetime(2026, 1, 15, 10, 30, tzinfo=UTC), 2650.0)
RUN_B = ("run-b", datetime(2026, 1, 16, 10, 30, tzinfo=UTC), 3000.0)
PRICE_BY_STAMP = {stamp: price for _, stamp, price in (RUN_A, RUN_B)}


@pytest.fixture(scope="module")
def store_url() -> Iterator[str]:
    with migrated_postgres_database("forecast_replicas") as url:
        rendered = url.render_as_string(hide_password=False)
        engine = create_engine(rendered)
        with build_session_factory(engine)() as session, session.begin():
            create_user(session, "alice", "alice@example.com", PASSWORD)
        engine.dispose()
        yield rendered


@pytest.fixture(scope="module")
def replicas(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    logs = tmp_path_factory.mktemp("replicas")
    env = {
        **os.environ,
        "APP_ENV": "test",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": store_url,
        "RUN_STORE": "postgres",
        # Longer than the 5 s bound: a replica must learn of the new run through NOTIFY.
        "RUN_STORE_POLL_SECONDS": "30",
        "RESULTS_DIR": str(logs / "unused"),
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG": "false",
        "REDIS_URL": "",
        "ADMIN_USERNAME": "",
        "ADMIN_PASSWORD": "",
        "ADMIN_EMAIL": "",
    }
    ready = "/api/v1/health/live"
    with serving_replicas("api.main:app", 2, cwd=FORECAST_DIR, env=env, log_dir=logs, ready_path=ready) as bases:
        yield bases


def consistent_stamp(path: str, body: dict) -> datetime:
    """The one generated_at every part of the answer carries (an assertion failure if they differ)."""
    if path.endswith("dashboard"):
        stamps = {body["generated_at"], body["consensus"]["generated_at"]}
        stamps |= {f["generated_at"] for f in body["latest_forecasts"]}
        assert len(stamps) == 1, f"dashboard mixes runs: {stamps}"
        stamp = datetime.fromisoformat(stamps.pop())
        assert body["last_actual_price"] == PRICE_BY_STAMP[stamp], "price of one run, forecasts of another"
        return stamp
    stamps = {f["generated_at"] for f in body["forecasts"]}
    assert len(stamps) == 1 and body["total"] == len(body["forecasts"]), f"forecast list mixes runs: {stamps}"
    return datetime.fromisoformat(stamps.pop())


async def read_until_run_b(client: httpx.AsyncClient, base: str, auth: dict, published: asyncio.Event) -> float:
    """Reads both endpoints until the replica serves run B on both; the seconds after publication it took."""
    new_stamp = RUN_B[1]
    seen_new: set[str] = set()
    published_at = 0.0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if published.is_set() and not published_at:
            published_at = time.monotonic()
        for path in ("/api/v1/forecasts/dashboard", "/api/v1/forecasts/?page_size=500"):
            response = await client.get(base + path, headers=auth)
            assert response.status_code == 200, response.text
            stamp = consistent_stamp(path, response.json())
            if stamp == new_stamp:
                seen_new.add(path)
            else:
                assert path not in seen_new, f"{base}{path} went back to the previous run"
        if len(seen_new) == 2 and published_at:
            return time.monotonic() - published_at
        await asyncio.sleep(0.01)
    raise AssertionError(f"{base} never served run B")


async def test_a_publish_is_served_by_both_replicas_within_5_s_and_no_answer_mixes_runs(replicas, store_url, tmp_path):
    async with httpx.AsyncClient(timeout=10) as client:
        for base in replicas:  # started before any run: 503 in the error shape, never 500
            response = await client.get(f"{base}/api/v1/health/ready")
            assert response.status_code == 503
        login = await client.post(f"{replicas[0]}/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for base in replicas:
            response = await client.get(f"{base}/api/v1/forecasts/dashboard", headers=auth)
            assert response.status_code == 503
            assert ErrorResponse.model_validate(response.json()).error == "no_run_published"

        run_id, stamp, price = RUN_A
        publish_fixture_run_to_postgres(store_url, tmp_path, run_id, generated_at=stamp, last_price=price)
        for base in replicas:
            deadline = time.monotonic() + NOTICE_SECONDS
            while (await client.get(f"{base}/api/v1/forecasts/dashboard", headers=auth)).status_code != 200:
                assert time.monotonic() < deadline, f"{base} did not serve the first run within 5 s"
                await asyncio.sleep(0.05)

        published = asyncio.Event()
        readers = [asyncio.create_task(read_until_run_b(client, base, auth, published)) for base in replicas]
        await asyncio.sleep(0.3)  # both replicas are being read while the publication commits
        run_id, stamp, price = RUN_B
        await asyncio.to_thread(
            publish_fixture_run_to_postgres, store_url, tmp_path, run_id, generated_at=stamp, last_price=price
        )
        published.set()
        delays = await asyncio.gather(*readers)
    assert max(delays) <= NOTICE_SECONDS, f"seconds until each replica served the new run: {delays}"


async def test_both_replicas_serve_a_multi_asset_run_per_asset(replicas, store_url, tmp_path):
    assets = {"sp500": 2700.0, "wti": 70.5, "desk": 42.0}
    stamp = datetime(2026, 1, 17, 10, 30, tzinfo=UTC)
    publish_fixture_run_to_postgres(store_url, tmp_path, "run-c", generated_at=stamp, assets=assets)
    async with httpx.AsyncClient(timeout=10) as client:
        login = await client.post(f"{replicas[1]}/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for base in replicas:
            deadline = time.monotonic() + NOTICE_SECONDS
            while (await client.get(f"{base}/api/v1/assets", headers=auth)).json().get("run_id") != "run-c":
                assert time.monotonic() < deadline, f"{base} did not serve the multi-asset run within 5 s"
                await asyncio.sleep(0.05)
            listed = (await client.get(f"{base}/api/v1/assets", headers=auth)).json()
            assert [a["name"] for a in listed["assets"]] == list(assets) and listed["default_asset"] == "sp500"
            for name, price in assets.items():
                dash = await client.get(f"{base}/api/v1/forecasts/dashboard", params={"asset": name}, headers=auth)
                assert dash.status_code == 200 and dash.json()["last_actual_price"] == price, (base, name)
                assert datetime.fromisoformat(dash.json()["generated_at"]) == stamp  # this run, no other
                png = await client.get(f"{base}/api/v1/images/model_ranking", params={"asset": name}, headers=auth)
                assert png.status_code == 200 and png.headers["content-type"] == "image/png"
            unknown = await client.get(f"{base}/api/v1/forecasts/", params={"asset": "gold"}, headers=auth)
            assert unknown.status_code == 404
            assert ErrorResponse.model_validate(unknown.json()).error == "asset_not_found"
