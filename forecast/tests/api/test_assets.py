"""Runs of several assets on the folder store: GET /assets, ``?asset=`` on the forecasts, models and images
endpoints (the default is the run's first asset), with ``?run_id=`` and through the one response cache.
The real pipeline's 3-asset run, on both stores: test_multi_asset_run.py."""

from __future__ import annotations

from api.state import app_state
from servicekit.errors import ErrorResponse
from tests.support.runs import publish_fixture_run

# name -> last price: each asset's answers are told apart by it.
ASSETS = {"sp500": 2650.0, "wti": 71.5, "mine": 123.0}
DASHBOARD = "/api/v1/forecasts/dashboard"


def publish_assets(app, results_dir, run_id: str = "run-m", assets: dict[str, float] = ASSETS) -> str:
    publish_fixture_run(results_dir, run_id, assets=assets)
    app_state(app).run_store.refresh()
    return run_id


async def test_assets_lists_every_asset_of_the_run_the_first_as_default(client, auth, app, results_dir):
    publish_assets(app, results_dir)
    for _ in range(2):  # the second answer comes through the fast path
        response = await client.get("/api/v1/assets", headers=auth)
        assert response.status_code == 200
        body = response.json()
        assert [a["name"] for a in body["assets"]] == list(ASSETS) and body["total"] == 3
        assert body["default_asset"] == "sp500" and body["run_id"] == "run-m"
        assert [a["default"] for a in body["assets"]] == [True, False, False]
        assert [a["last_price"] for a in body["assets"]] == list(ASSETS.values())
        assert {a["source"] for a in body["assets"]} == set(ASSETS)
        assert all(a["n_rows"] == 1500 and a["start_date"] < a["end_date"] for a in body["assets"])
    runs = (await client.get("/api/v1/runs", headers=auth)).json()
    assert runs["runs"][0]["assets"] == list(ASSETS) and runs["runs"][0]["data_source"] == "sp500, wti, mine"


async def test_asset_selects_the_asset_and_the_default_is_the_first(client, auth, app, results_dir):
    publish_assets(app, results_dir)
    default = await client.get(DASHBOARD, headers=auth)
    first = await client.get(DASHBOARD, params={"asset": "sp500"}, headers=auth)
    assert default.json() == first.json() and default.json()["last_actual_price"] == 2650.0
    for _ in range(2):  # each answer again through the response cache: the query keeps the assets apart
        for name, price in ASSETS.items():
            dash = (await client.get(DASHBOARD, params={"asset": name}, headers=auth)).json()
            assert dash["last_actual_price"] == price, name
            forecasts = (await client.get("/api/v1/forecasts/", params={"asset": name}, headers=auth)).json()
            by_model = {(f["model"], f["horizon"]): f["prediction_price"] for f in forecasts["forecasts"]}
            assert all(abs(p / price - 1) < 0.05 for p in by_model.values()), name
            consensus = await client.get("/api/v1/forecasts/consensus", params={"asset": name}, headers=auth)
            assert consensus.status_code == 200
            models = await client.get("/api/v1/models/ridge/metrics", params={"asset": name}, headers=auth)
            assert models.status_code == 200 and len(models.json()) == 3
        assert (await client.get(DASHBOARD, headers=auth)).json()["last_actual_price"] == 2650.0


async def test_each_asset_serves_its_own_charts(client, auth, app, results_dir):
    publish_assets(app, results_dir)
    contents = {}
    for name in ASSETS:
        listed = (await client.get("/api/v1/images/", params={"asset": name}, headers=auth)).json()
        assert {m["image_id"] for m in listed["images"]} >= {"model_ranking", "forecast_fan_chart"}
        png = await client.get("/api/v1/images/model_ranking", params={"asset": name}, headers=auth)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        contents[name] = png.content
        backtest = await client.get("/api/v1/images/backtest/ridge/10", params={"asset": name}, headers=auth)
        assert backtest.status_code == 200
    default = await client.get("/api/v1/images/model_ranking", headers=auth)
    assert default.content == contents["sp500"]
    # The fixture's charts differ by their place in the run: each asset's file is its own.
    assert len(set(contents.values())) == 3


async def test_asset_combines_with_run_id(client, auth, app, results_dir):
    publish_assets(app, results_dir, "run-a")
    publish_assets(app, results_dir, "run-b", {"gold": 1900.0, "wti": 80.0})
    latest = (await client.get(DASHBOARD, params={"asset": "wti"}, headers=auth)).json()
    assert latest["last_actual_price"] == 80.0
    for _ in range(2):
        older = await client.get(DASHBOARD, params={"run_id": "run-a", "asset": "wti"}, headers=auth)
        assert older.status_code == 200 and older.json()["last_actual_price"] == 71.5
    listed = (await client.get("/api/v1/assets", params={"run_id": "run-a"}, headers=auth)).json()
    assert listed["run_id"] == "run-a" and listed["default_asset"] == "sp500"
    missing = await client.get(DASHBOARD, params={"run_id": "run-b", "asset": "mine"}, headers=auth)
    assert missing.status_code == 404 and missing.json()["error"] == "asset_not_found"


async def test_an_unknown_asset_is_404_in_the_error_shape(client, auth, app, results_dir):
    publish_assets(app, results_dir)
    for path in (DASHBOARD, "/api/v1/forecasts/consensus", "/api/v1/models/", "/api/v1/images/model_ranking"):
        for _ in range(2):
            response = await client.get(path, params={"asset": "nikkei"}, headers=auth)
            assert response.status_code == 404, path
            error = ErrorResponse.model_validate(response.json())
            assert error.error == "asset_not_found" and "sp500, wti, mine" in error.message
    too_long = await client.get(DASHBOARD, params={"asset": "x" * 65}, headers=auth)
    assert too_long.status_code == 422 and ErrorResponse.model_validate(too_long.json()).error


async def test_a_run_of_one_asset_is_its_only_and_default_asset(client, auth, app, results_dir):
    publish_fixture_run(results_dir, "run-a")  # a bundle without assets, as every run before them
    app_state(app).run_store.refresh()
    listed = (await client.get("/api/v1/assets", headers=auth)).json()
    assert [(a["name"], a["default"]) for a in listed["assets"]] == [("fixture", True)]
    default = await client.get(DASHBOARD, headers=auth)
    named = await client.get(DASHBOARD, params={"asset": "fixture"}, headers=auth)
    assert default.json() == named.json()
    other = await client.get(DASHBOARD, params={"asset": "wti"}, headers=auth)
    assert other.status_code == 404 and other.json()["error"] == "asset_not_found"
