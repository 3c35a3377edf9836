"""The real pipeline CLI on a tiny configuration, served by the API."""

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.config import FORECAST_DIR
from api.state import app_state
from pipelines.publish import publish_run, read_latest_run_id, staging_dir
from runcontract.run import RUNS_DIRNAME
from testkit.pipeline import pipeline_command


@pytest.mark.slow
async def test_the_api_serves_a_run_published_by_the_real_pipeline(client, auth, app, results_dir):
    result = subprocess.run(
        pipeline_command(sys.executable, models=("ridge",), horizons=(1, 5), results_dir=results_dir),
        cwd=FORECAST_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert app_state(app).run_store.refresh() or app_state(app).run_store.snapshot is not None
    assert app_state(app).run_store.last_error is None
    health = (await client.get("/api/v1/health")).json()
    assert health["status"] == "healthy", health
    dashboard = await client.get("/api/v1/forecasts/dashboard", headers=auth)
    assert dashboard.status_code == 200
    assert dashboard.json()["best_model"] == "ridge"
    for path in [
        "/api/v1/forecasts/",
        "/api/v1/forecasts/latest",
        "/api/v1/models/comparison",
        "/api/v1/models/ridge/metrics",
        "/api/v1/models/ridge/feature-importance",
    ]:
        assert (await client.get(path, headers=auth)).status_code == 200, path
    images = (await client.get("/api/v1/images/", headers=auth)).json()
    for meta in images["images"]:
        png = await client.get(f"/api/v1/images/{meta['image_id']}", headers=auth)
        assert png.status_code == 200 and len(png.content) == meta["file_size_bytes"]


@pytest.fixture(scope="session")
def default_sp500_run(tmp_path_factory) -> tuple[str, Path, str]:
    """The documented default run (nine models, seven horizons, bundled S&P 500), once per session:
    (its closing summary, its results directory, its run id)."""
    results = tmp_path_factory.mktemp("sp500")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.run", "--no-progress", "--results-dir", str(results)],
        cwd=FORECAST_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, results, read_latest_run_id(results)


@pytest.mark.slow
async def test_the_default_sp500_run_says_that_no_model_beats_always_up(
    client, auth, app, results_dir, default_sp500_run
):
    stdout, source, run_id = default_sp500_run
    verdict = "No model beats always-up at any horizon on this data."
    assert f"verdict: {verdict}" in stdout
    staged = staging_dir(results_dir, run_id)
    shutil.copytree(source / RUNS_DIRNAME / run_id, staged, dirs_exist_ok=True)
    publish_run(results_dir, staged, run_id, keep=10)
    assert app_state(app).run_store.refresh() and app_state(app).run_store.snapshot.run_id == run_id

    dashboard = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    assert dashboard["beats_baseline"] is False and dashboard["verdict"] == verdict
    assert dashboard["best_model_da"] < dashboard["baseline_da"]  # the best model trails always-up on average
    comparison = (await client.get("/api/v1/models/comparison", headers=auth)).json()
    assert comparison["beats_baseline"] is False and comparison["verdict"] == verdict
    skills = comparison["skill_by_horizon"]
    assert set(skills) == {"1", "5", "10", "15", "20", "25", "30"}
    for h, skill in skills.items():
        assert skill["spa_p_value"] >= 0.05 and skill["beats_baseline"] is False, (h, skill)
        consensus = (await client.get("/api/v1/forecasts/consensus", params={"horizon": h}, headers=auth)).json()
        assert consensus["signal"] == "no_edge" and consensus["weights"] == {} and consensus["confidence"] >= 0.5
        assert consensus["consensus_direction"] == "up"  # the drift of an index that rose over the history
    rows = [row for rows in comparison["metrics_by_horizon"].values() for row in rows]
    assert len(rows) == 63 and min(row["p_value_adjusted"] for row in rows) >= 0.05

    # Overlapping 30-day targets: the HAC interval is far wider than the binomial one would claim.
    n_30 = skills["30"]["n_test"]
    for row in comparison["metrics_by_horizon"]["30"]:
        p = row["da_test"] / 100
        naive_width = 2 * 1.959964 * math.sqrt(p * (1 - p) / n_30) * 100
        assert (row["da_ci_high"] - row["da_ci_low"]) >= 2.3 * naive_width, row
    methodology = (await client.get("/api/v1/methodology", headers=auth)).json()
    assert methodology["parameters"]["cost_bps"] == 5.0 and "5 bp" in methodology["methodology"]["sharpe_after_costs"]
