import pytest


async def test_models_list_with_and_without_trailing_slash(client, auth, published):
    a = await client.get("/api/v1/models/", headers=auth)
    b = await client.get("/api/v1/models", headers=auth)
    assert a.status_code == b.status_code == 200
    assert a.json() == b.json()
    assert {m["model_name"] for m in a.json()} == {"ridge", "lightgbm", "hybrid_xgboost"}


async def test_comparison_is_not_swallowed_by_the_model_name_route(client, auth, published):
    response = await client.get("/api/v1/models/comparison", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert set(body["metrics_by_horizon"]) == {"1", "5", "10"}
    assert set(body["best_model_by_horizon"]) == {"1", "5", "10"}
    assert set(body["skill_by_horizon"]) == {"1", "5", "10"}
    for h, rows in body["metrics_by_horizon"].items():
        skill = body["skill_by_horizon"][h]
        assert body["best_model_by_horizon"][h] == skill["best_model"]
        assert skill["beats_baseline"] is (h == "1")
        for row in rows:
            assert row["always_up_da"] == skill["baseline_da"]
            assert row["edge_vs_always_up"] == pytest.approx(row["da_test"] - row["always_up_da"])
            assert row["da_ci_low"] < row["da_test"] < row["da_ci_high"]
    assert body["best_model_overall"] == "hybrid_xgboost" and body["best_model_overall_holdout_edge"] == 1.4
    best = next(m for m in body["models"] if m["model_name"] == "hybrid_xgboost")
    assert body["best_model_overall_edge"] == best["avg_edge_vs_always_up"]
    assert body["beats_baseline"] is True and body["verdict"].startswith("hybrid_xgboost beats always-up at h=1")
    assert body["generated_at"].endswith("Z")


async def test_methodology_serves_the_published_runs_definitions(client, auth, published):
    response = await client.get("/api/v1/methodology", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["methodology"]["verdict"].startswith("Hansen's SPA test")
    assert body["parameters"] == {"cost_bps": 5.0} and body["generated_at"].endswith("Z")
    assert (await client.get("/api/v1/methodology")).status_code == 401


async def test_model_summary_and_metrics(client, auth, published):
    summary = (await client.get("/api/v1/models/ridge", headers=auth)).json()
    assert summary["model_name"] == "ridge" and summary["model_type"] == "linear"
    metrics = (await client.get("/api/v1/models/ridge/metrics", headers=auth)).json()
    assert [m["horizon"] for m in metrics] == [1, 5, 10]
    best = max(metrics, key=lambda m: m["da_test"])
    assert summary["best_horizon"] == best["horizon"] and summary["best_da"] == best["da_test"]


async def test_feature_importance_defaults_to_the_models_best_horizon(client, auth, published):
    summary = (await client.get("/api/v1/models/lightgbm", headers=auth)).json()
    body = (await client.get("/api/v1/models/lightgbm/feature-importance", headers=auth)).json()
    assert body["horizon"] == summary["best_horizon"]
    assert body["model_name"] == "lightgbm" and body["features"]
    explicit = await client.get("/api/v1/models/lightgbm/feature-importance", params={"horizon": 1}, headers=auth)
    assert explicit.json()["horizon"] == 1
    missing = await client.get("/api/v1/models/lightgbm/feature-importance", params={"horizon": 20}, headers=auth)
    assert missing.status_code == 404


async def test_unknown_model_is_a_404_on_every_model_route(client, auth, published):
    for path in ["/api/v1/models/nope", "/api/v1/models/nope/metrics", "/api/v1/models/nope/feature-importance"]:
        response = await client.get(path, headers=auth)
        assert response.status_code == 404
        assert response.json()["error"] == "model_not_found"
        assert "ridge" in response.json()["message"]
