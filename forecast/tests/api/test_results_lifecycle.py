"""No run yet, hot reload of a new run, a corrupt new run refused."""

import asyncio

from api.state import app_state
from tests.support.runs import corrupt_bundle, publish_fixture_run

DATA_ENDPOINTS = [
    "/api/v1/forecasts/",
    "/api/v1/forecasts/latest",
    "/api/v1/forecasts/consensus",
    "/api/v1/forecasts/dashboard",
    "/api/v1/forecasts/by-horizon/5",
    "/api/v1/models/",
    "/api/v1/models/comparison",
    "/api/v1/models/ridge",
    "/api/v1/models/ridge/metrics",
    "/api/v1/models/ridge/feature-importance",
    "/api/v1/images/",
    "/api/v1/images/models",
    "/api/v1/images/model_ranking",
    "/api/v1/images/backtest/ridge/10",
]


async def wait_for_run(client, auth, run_id: str, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        health = (await client.get("/api/v1/health")).json()
        if run_id in (health["services"]["results"]["message"] or ""):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} was not picked up")


async def test_without_a_run_data_endpoints_answer_503_and_readiness_is_unhealthy(client, auth):
    for path in DATA_ENDPOINTS:
        response = await client.get(path, headers=auth)
        assert response.status_code == 503, path
        body = response.json()
        assert body["error"] == "no_run_published" and "pipelines.run" in body["message"]
    ready = await client.get("/api/v1/health/ready")
    assert ready.status_code == 503
    assert ready.json()["services"]["results"]["status"] == "unhealthy"
    assert (await client.get("/api/v1/health/live")).status_code == 200


async def test_a_newly_published_run_is_served_without_restart(client, auth, published, results_dir):
    before = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    publish_fixture_run(results_dir, "run-b", last_price=3000.0, horizons=(1, 5, 20))
    await wait_for_run(client, auth, "run-b")
    after = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    assert before["last_actual_price"] == 2650.0 and after["last_actual_price"] == 3000.0
    assert (await client.get("/api/v1/forecasts/by-horizon/20", headers=auth)).status_code == 200
    assert (await client.get("/api/v1/forecasts/by-horizon/10", headers=auth)).status_code == 404


async def test_a_run_is_picked_up_when_the_first_one_is_published_after_start_up(client, auth, results_dir):
    assert (await client.get("/api/v1/models/", headers=auth)).status_code == 503
    publish_fixture_run(results_dir, "run-first")
    await wait_for_run(client, auth, "run-first")
    assert (await client.get("/api/v1/models/", headers=auth)).status_code == 200


async def test_a_corrupt_new_run_is_refused_and_health_says_degraded(client, auth, published, results_dir):
    publish_fixture_run(results_dir, "run-bad", raw_bundle=corrupt_bundle("run-bad"))
    for _ in range(100):
        health = (await client.get("/api/v1/health")).json()
        if health["status"] == "degraded":
            break
        await asyncio.sleep(0.05)
    assert health["status"] == "degraded"
    message = health["services"]["results"]["message"]
    assert "run-a" in message and "run-bad" in message and "confidence" in message
    assert (await client.get("/api/v1/health/ready")).status_code == 200
    dash = await client.get("/api/v1/forecasts/dashboard", headers=auth)
    assert dash.status_code == 200 and dash.json()["last_actual_price"] == 2650.0
    # A later valid run clears the degradation.
    publish_fixture_run(results_dir, "run-c")
    await wait_for_run(client, auth, "run-c")
    assert (await client.get("/api/v1/health")).json()["status"] == "healthy"


async def test_a_run_with_a_missing_image_or_unparseable_json_is_refused(client, auth, published, results_dir, app):
    publish_fixture_run(results_dir, "run-json", raw_bundle=b"{not json")
    app_state(app).run_store.refresh()
    assert "run-json" in app_state(app).run_store.last_error
    path = publish_fixture_run(results_dir, "run-img")
    (path / "images" / "model_ranking.png").unlink()
    app_state(app).run_store.refresh()  # the poller may have loaded it before the unlink: both outcomes are checked
    store = app_state(app).run_store
    assert store.snapshot.run_id in {"run-a", "run-img"}
    if store.snapshot.run_id == "run-a":
        assert "missing" in store.last_error


async def test_responses_never_mix_two_runs_while_a_new_one_is_swapped_in(client, auth, published, results_dir):
    async def reader() -> set[tuple[float, str]]:
        seen = set()
        for _ in range(60):
            dash = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
            seen.add((dash["last_actual_price"], dash["latest_forecasts"][0]["prediction_price"] > 2800))
            await asyncio.sleep(0.005)
        return seen

    task = asyncio.create_task(reader())
    await asyncio.sleep(0.05)
    publish_fixture_run(results_dir, "run-b", last_price=3000.0)
    seen = await task
    assert seen <= {(2650.0, False), (3000.0, True)}
