"""The real pipeline CLI on three assets (the bundled S&P 500 and WTI series and a CSV), one model, two
horizons, two folds: one run holds every asset, published into the folder store and into PostgreSQL, and
served per asset (``?asset=``) by the API on either store."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.bootstrap import create_user
from api.config import FORECAST_DIR, Settings
from api.main import create_app
from api.state import app_state
from pipelines.publish import publish, publish_run, read_latest_run_id, staging_dir
from runcontract.run import RUN_BUNDLE_FILE, RUNS_DIRNAME, RunBundle
from tests.conftest import PASSWORD, TEST_SECRET, login, migrated_postgres_database
from tests.pipeline.helpers import synthetic_prices, write_csv

pytestmark = pytest.mark.slow
ASSET_NAMES = ["sp500", "wti", "desk_prices"]


@pytest.fixture(scope="module")
def three_asset_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, RunBundle]:
    """(results directory, run id, bundle) of one pipeline run over the three assets."""
    folder = tmp_path_factory.mktemp("three-assets")
    csv = write_csv(synthetic_prices(700, phi=0.2, seed=3), folder / "desk prices.csv")
    results = folder / "results"
    argv = ["--data", f"sp500,wti,{csv}", "--models", "ridge", "--horizons", "1,5", "--folds", "2"]
    argv += ["--spa-reps", "200", "--jobs", "2", "--no-progress", "--results-dir", str(results)]
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.run", *argv], cwd=FORECAST_DIR, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert all(f"== asset {name}" in result.stdout for name in ASSET_NAMES[1:])
    run_id = read_latest_run_id(results)
    assert run_id is not None
    bundle = RunBundle.model_validate_json((results / RUNS_DIRNAME / run_id / RUN_BUNDLE_FILE).read_bytes())
    return results, run_id, bundle


def restage(three_asset_run: tuple[Path, str, RunBundle], root: Path) -> Path:
    source, run_id, _ = three_asset_run
    staged = staging_dir(root, run_id)
    shutil.copytree(source / RUNS_DIRNAME / run_id, staged, dirs_exist_ok=True)
    return staged


def test_one_run_holds_every_asset_with_its_own_files(three_asset_run):
    results, run_id, bundle = three_asset_run
    assert [a.name for a in bundle.assets] == ASSET_NAMES
    sources = [a.summary.data.source for a in bundle.assets]
    assert sources[:2] == ["arch:sp500", "arch:wti"] and sources[2].endswith("desk prices.csv")
    assert bundle.summary == bundle.assets[0].summary and bundle.forecasts == bundle.assets[0].forecasts
    assert bundle.summary.parameters["data"] == "sp500" and bundle.summary.parameters["assets"] == ASSET_NAMES
    run_dir = results / RUNS_DIRNAME / run_id
    for i, asset in enumerate(bundle.assets):
        assert len(asset.forecasts) == 2 and len(asset.consensus) == 2 and len(asset.images) == 9
        assert asset.summary.run_id == run_id
        folder = run_dir if i == 0 else run_dir / "assets" / asset.name
        assert (folder / "metrics.csv").is_file() and (folder / "summary.json").is_file()
        assert all((run_dir / img.file).is_file() for img in asset.images)
    prices = {a.name: a.summary.data.last_price for a in bundle.assets}
    assert len(set(prices.values())) == 3


async def serves_every_asset(client: httpx.AsyncClient, auth: dict[str, str], bundle: RunBundle) -> None:
    listed = (await client.get("/api/v1/assets", headers=auth)).json()
    assert [a["name"] for a in listed["assets"]] == ASSET_NAMES and listed["default_asset"] == "sp500"
    assert listed["run_id"] == bundle.summary.run_id
    default = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    assert default["last_actual_price"] == bundle.summary.data.last_price
    for asset in bundle.assets:
        q = {"asset": asset.name}
        dash = (await client.get("/api/v1/forecasts/dashboard", params=q, headers=auth)).json()
        assert dash["last_actual_price"] == asset.summary.data.last_price and dash["verdict"] == asset.summary.verdict
        forecasts = (await client.get("/api/v1/forecasts/", params=q, headers=auth)).json()
        assert forecasts["forecasts"] == [f.model_dump(mode="json") for f in asset.forecasts]
        consensus = (await client.get("/api/v1/forecasts/consensus", params={**q, "horizon": 5}, headers=auth)).json()
        assert consensus == next(c for c in asset.consensus if c.horizon == 5).model_dump(mode="json")
        metrics = (await client.get("/api/v1/models/ridge/metrics", params=q, headers=auth)).json()
        assert metrics == [m.model_dump(mode="json") for m in asset.metrics]
        images = (await client.get("/api/v1/images/", params=q, headers=auth)).json()
        assert images["total"] == 9
        for meta in images["images"]:
            png = await client.get(f"/api/v1/images/{meta['image_id']}", params=q, headers=auth)
            assert png.status_code == 200 and len(png.content) == meta["file_size_bytes"]
    run_file = f"/api/v1/runs/{bundle.summary.run_id}/files/assets/wti/metrics.csv"
    csv = await client.get(run_file, headers=auth)
    assert csv.status_code == 200 and csv.text.startswith("model,horizon")


async def test_the_folder_store_serves_the_three_asset_run_per_asset(client, auth, app, results_dir, three_asset_run):
    _, run_id, bundle = three_asset_run
    publish_run(results_dir, restage(three_asset_run, results_dir), run_id, keep=10)
    assert app_state(app).run_store.refresh()
    await serves_every_asset(client, auth, bundle)


@pytest.fixture
def pg_url() -> Iterator[str]:
    with migrated_postgres_database("forecast_assets") as url:
        yield url.render_as_string(hide_password=False)


@pytest.mark.postgres
async def test_the_postgres_store_serves_the_three_asset_run_per_asset(pg_url, tmp_path, three_asset_run):
    _, run_id, bundle = three_asset_run
    publish(pg_url, tmp_path / "staging", restage(three_asset_run, tmp_path / "staging"), run_id, keep=5)
    settings = Settings(
        _env_file=None,
        app_env="test",
        secret_key=TEST_SECRET,
        database_url=pg_url,
        run_store="postgres",
        results_dir=tmp_path / "unused",
        log_level="WARNING",
        access_log=False,
        admin_username=None,
        admin_password=None,
        admin_email=None,
        redis_url=None,
    )
    app = create_app(settings)
    with app_state(app).session_factory() as session, session.begin():
        create_user(session, "alice", "alice@example.com", PASSWORD)
    async with app.router.lifespan_context(app):
        app_state(app).run_store.refresh()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            auth = {"Authorization": f"Bearer {await login(client)}"}
            runs = (await client.get("/api/v1/runs", headers=auth)).json()
            assert runs["runs"][0]["assets"] == ASSET_NAMES
            await serves_every_asset(client, auth, bundle)
