"""The real pipeline CLI on a tiny configuration, served by the API."""

import subprocess
import sys

import pytest

from api.config import FORECAST_DIR


@pytest.mark.slow
async def test_the_api_serves_a_run_published_by_the_real_pipeline(client, auth, app, results_dir):
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.run", "--models", "ridge", "--horizons", "1,5", "--folds", "2",
         "--jobs", "1", "--no-progress", "--results-dir", str(results_dir)],
        cwd=FORECAST_DIR, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert app.state.run_store.refresh() or app.state.run_store.snapshot is not None
    assert app.state.run_store.last_error is None
    health = (await client.get("/api/v1/health")).json()
    assert health["status"] == "healthy", health
    dashboard = await client.get("/api/v1/forecasts/dashboard", headers=auth)
    assert dashboard.status_code == 200
    assert dashboard.json()["best_model"] == "ridge"
    for path in ["/api/v1/forecasts/", "/api/v1/forecasts/latest", "/api/v1/models/comparison",
                 "/api/v1/models/ridge/metrics", "/api/v1/models/ridge/feature-importance"]:
        assert (await client.get(path, headers=auth)).status_code == 200, path
    images = (await client.get("/api/v1/images/", headers=auth)).json()
    for meta in images["images"]:
        png = await client.get(f"/api/v1/images/{meta['image_id']}", headers=auth)
        assert png.status_code == 200 and len(png.content) == meta["file_size_bytes"]
