"""GET /metrics: the requests made are counted by route template and status, model scoring is timed,
and in production the endpoint needs its token."""

from __future__ import annotations

from servicekit.metrics import route_template, scrape_value
from testkit.metrics import assert_metrics_need_the_token

from students import STUDENT

PAYLOAD = {"cod_persona": 1, "cod_curso": "MA101", "features": {"EDAD": 20}}
ROUTE = "/api/v1/predict"


async def test_metrics_count_the_requests_made_by_route_template_and_status(client, auth_headers):
    before = (await client.get("/metrics")).text
    for _ in range(3):
        assert (await client.post(ROUTE, json=PAYLOAD, headers=auth_headers)).status_code == 200
    assert (await client.post(ROUTE, json={"cod_persona": 1}, headers=auth_headers)).status_code == 422
    assert (await client.get("/api/v1/no-such-thing")).status_code == 404
    after = (await client.get("/metrics")).text

    def delta(**labels: str) -> float:
        return scrape_value(after, "http_requests_total", **labels) - scrape_value(
            before, "http_requests_total", **labels
        )

    assert delta(method="POST", route=ROUTE, status="200") == 3
    assert delta(method="POST", route=ROUTE, status="422") == 1
    assert delta(method="GET", route="unmatched", status="404") == 1  # raw paths never become labels
    assert scrape_value(after, "http_request_duration_seconds_count", method="POST", route=ROUTE) >= 4
    assert "unitrack_db_pool_connections_in_use" in after


async def test_model_scoring_time_is_recorded_by_serving_path(make_client, auth_headers, model_file):
    from app.services.engine_loading import load_engine

    engine = load_engine(model_file)
    async with make_client(engine=engine) as client:
        before = (await client.get("/metrics")).text
        body = {**PAYLOAD, "features": STUDENT}
        assert (await client.post(ROUTE, json=body, headers=auth_headers)).status_code == 200
        after = (await client.get("/metrics")).text
    path = engine.runtime.path.kind
    counted = scrape_value(after, "unitrack_model_score_seconds_count", path=path) - scrape_value(
        before, "unitrack_model_score_seconds_count", path=path
    )
    assert counted == 1


async def test_in_production_metrics_need_the_token(make_client, settings_factory):
    token = "m" * 40
    async with make_client(app_env="test") as open_client:
        assert (await open_client.get("/metrics")).status_code == 200  # outside production: open
    from app.main import create_app

    prod = settings_factory(
        app_env="prod",
        auth_mode="supabase",
        supabase_project_ref="abcd",
        supabase_jwks_url="https://abcd.supabase.co/auth/v1/.well-known/jwks.json",
        database_url="postgresql://u:p@127.0.0.1:1/x",
        metrics_token=token,
    )
    no_token = prod.model_copy(update={"metrics_token": None})
    await assert_metrics_need_the_token(create_app(prod), create_app(no_token), token)


class _Route:
    def __init__(self, path: str):
        self.path = path


def test_the_route_label_is_the_full_template_whatever_the_prefix():
    cases = [
        ("/api/v1/predict", "/predict", "/api/v1/predict"),
        ("/api/v1/models/xgb/metrics", "/models/{name}/metrics", "/api/v1/models/{name}/metrics"),
        ("/metrics", "/metrics", "/metrics"),
        ("/api/v1/models/", "/models/", "/api/v1/models/"),
    ]
    for path, declared, expected in cases:
        assert route_template({"path": path, "route": _Route(declared)}) == expected
    assert route_template({"path": "/api/v1/anything"}) == "unmatched"
