from dataclasses import replace

from api.state import app_state, install_app_state


async def test_health_lists_database_and_results_without_auth(client, published):
    response = await client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy" and body["environment"] == "test"
    assert set(body["services"]) == {"database", "results"}
    assert body["services"]["database"]["latency_ms"] >= 0
    assert "run-a" in body["services"]["results"]["message"]
    assert "h ago" in body["services"]["results"]["message"]
    assert body["timestamp"].endswith("Z")
    assert (await client.get("/api/v1/health/")).status_code == 200


async def test_readiness_is_200_when_healthy(client, published):
    response = await client.get("/api/v1/health/ready")
    assert response.status_code == 200 and response.json()["status"] == "healthy"


async def test_liveness_is_ok(client):
    response = await client.get("/api/v1/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_liveness_answers_head_probes_without_a_body(client):
    response = await client.head("/api/v1/health/live")
    assert response.status_code == 200 and response.content == b""


async def test_an_unreachable_database_makes_readiness_503(client, published, app):
    from sqlalchemy import create_engine

    from api.db.session import build_session_factory

    unreachable = build_session_factory(
        create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    )
    install_app_state(app, replace(app_state(app), session_factory=unreachable))
    response = await client.get("/api/v1/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy" and body["services"]["database"]["status"] == "unhealthy"
    assert "127.0.0.1" not in body["services"]["database"]["message"]
