import pytest

LATEST = "/api/v1/forecasts/latest"


async def test_list_is_paginated_and_filterable(client, auth, published):
    response = await client.get("/api/v1/forecasts/", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 9 and body["page"] == 1 and body["page_size"] == 50
    assert len(body["forecasts"]) == 9
    page = (await client.get("/api/v1/forecasts/", params={"page": 2, "page_size": 4}, headers=auth)).json()
    assert page["total"] == 9 and len(page["forecasts"]) == 4 and page["page"] == 2
    filtered = (await client.get("/api/v1/forecasts", params={"model": "ridge", "horizon": 5}, headers=auth)).json()
    assert filtered["total"] == 1
    assert filtered["forecasts"][0]["model"] == "ridge" and filtered["forecasts"][0]["horizon"] == 5


async def test_list_without_trailing_slash_answers_directly(client, auth, published):
    response = await client.get("/api/v1/forecasts", headers=auth)
    assert response.status_code == 200
    assert response.json()["total"] == 9


async def test_list_rejects_page_size_above_500_and_unknown_filters(client, auth, published):
    response = await client.get("/api/v1/forecasts/", params={"page_size": 501}, headers=auth)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["details"]] == ["page_size"]
    assert (await client.get("/api/v1/forecasts/", params={"model": "nope"}, headers=auth)).status_code == 404
    assert (await client.get("/api/v1/forecasts/", params={"horizon": 7}, headers=auth)).status_code == 404


async def test_latest_respects_limit_and_dates_are_iso(client, auth, published):
    body = (await client.get(LATEST, params={"limit": 4}, headers=auth)).json()
    assert len(body) == 4
    for row in body:
        assert row["generated_at"].endswith("Z")
        assert len(row["prediction_date"]) == 10


async def test_consensus_defaults_to_the_configured_horizon(client, auth, published):
    body = (await client.get("/api/v1/forecasts/consensus", headers=auth)).json()
    assert body["horizon"] == 5
    # The fixture run has no edge at h=5: the consensus says so instead of averaging chance models.
    assert body["signal"] == "no_edge" and body["models_used"] == [] and body["weights"] == {}
    assert body["confidence"] >= 0.5 and body["n_holdout"] == 400
    skilled = (await client.get("/api/v1/forecasts/consensus", params={"horizon": 1}, headers=auth)).json()
    assert skilled["signal"] == "skill" and skilled["models_used"] == ["hybrid_xgboost"]
    assert abs(sum(skilled["weights"].values()) - 1) < 1e-3
    assert (await client.get("/api/v1/forecasts/consensus", params={"horizon": 10}, headers=auth)).json()[
        "horizon"
    ] == 10


async def test_a_horizon_the_run_lacks_is_a_clear_404(client, auth, published):
    for path in ["/api/v1/forecasts/consensus?horizon=30", "/api/v1/forecasts/by-horizon/30"]:
        response = await client.get(path, headers=auth)
        assert response.status_code == 404
        assert response.json()["error"] == "horizon_not_found"
        assert "available horizons: 1, 5, 10" in response.json()["message"]


async def test_by_horizon_validates_the_range(client, auth, published):
    for bad in (0, 31, "x"):
        response = await client.get(f"/api/v1/forecasts/by-horizon/{bad}", headers=auth)
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "horizon"
    body = (await client.get("/api/v1/forecasts/by-horizon/10", headers=auth)).json()
    assert {row["horizon"] for row in body} == {10} and len(body) == 3


async def test_dashboard_numbers_agree_with_the_models_and_the_consensus(client, auth, published):
    dash = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    models = (await client.get("/api/v1/models/", headers=auth)).json()
    consensus = (await client.get("/api/v1/forecasts/consensus", headers=auth)).json()
    comparison = (await client.get("/api/v1/models/comparison", headers=auth)).json()
    best = next(m for m in models if m["model_name"] == comparison["best_model_overall"])
    assert dash["best_model"] == best["model_name"] and dash["best_model_da"] == best["avg_da_test"]
    # The best model never stands without its edge over always-up and the verdict.
    assert dash["baseline_da"] == best["avg_always_up_da"]
    assert dash["best_model_edge"] == comparison["best_model_overall_edge"] == best["avg_edge_vs_always_up"]
    assert dash["best_model_edge"] == pytest.approx(dash["best_model_da"] - dash["baseline_da"], abs=1e-9)
    assert dash["best_model_holdout_edge"] == comparison["best_model_overall_holdout_edge"] == 1.4
    assert dash["beats_baseline"] is comparison["beats_baseline"] is True
    assert dash["verdict"] == comparison["verdict"] and "hybrid_xgboost beats always-up at h=1" in dash["verdict"]
    assert abs(dash["avg_da_all_models"] - sum(m["avg_da_test"] for m in models) / len(models)) < 1e-9
    assert dash["consensus"] == consensus
    assert {f["horizon"] for f in dash["latest_forecasts"]} == {5}
    assert dash["last_actual_price"] == 2650.0 and dash["last_actual_date"] == "2026-01-14"
    assert dash["generated_at"] == "2026-01-15T10:30:00.000000Z"
