"""GET /metrics: the requests made are counted by route template and status (fast-path reads too), login
failures and throttles are counted, the published run's age is exposed, and production needs a token."""

from __future__ import annotations

import math

from api.main import create_app
from servicekit.metrics import scrape_value
from testkit.metrics import assert_metrics_need_the_token


async def test_metrics_count_the_requests_made_by_route_template_and_status(client, auth, published):
    before = (await client.get("/metrics")).text
    for _ in range(4):  # the first answer is recorded, the next three come from the fast path
        assert (await client.get("/api/v1/models/comparison", headers=auth)).status_code == 200
    assert (await client.get("/api/v1/models/no-such-model/metrics", headers=auth)).status_code == 404
    after = (await client.get("/metrics")).text

    def delta(**labels: str) -> float:
        return scrape_value(after, "http_requests_total", **labels) - scrape_value(
            before, "http_requests_total", **labels
        )

    assert delta(method="GET", route="/api/v1/models/comparison", status="200") == 4
    assert delta(method="GET", route="/api/v1/models/{model_name}/metrics", status="404") == 1
    age = scrape_value(after, "forecast_published_run_age_seconds")
    assert not math.isnan(age) and age > 0


async def test_login_failures_and_throttles_are_counted(client, user):
    before = (await client.get("/metrics")).text
    statuses = [
        (await client.post("/api/v1/auth/login", json={"username": "alice", "password": "bad"})).status_code
        for _ in range(4)
    ]  # login_max_failures=3 in the test settings
    after = (await client.get("/metrics")).text
    assert statuses == [401, 401, 401, 429]
    for name, expected in (("forecast_login_failures_total", 3), ("forecast_login_throttled_total", 1)):
        assert scrape_value(after, name) - scrape_value(before, name) == expected


async def test_in_production_metrics_need_the_token(make_settings, monkeypatch):
    # A production app caches its loggers on first use, bound to the stdout of that moment; later tests
    # that read the logs through capsys would see nothing. Logging plays no part in this test.
    monkeypatch.setattr("api.main.configure_logging", lambda *args, **kwargs: None)
    token = "m" * 40
    prod = make_settings(
        app_env="prod",
        secret_key="s" * 48,
        frontend_origin="https://app.example",
        database_url="postgresql://u:p@127.0.0.1:1/x",
        metrics_token=token,
    )
    no_token = prod.model_copy(update={"metrics_token": None})
    await assert_metrics_need_the_token(create_app(prod), create_app(no_token), token)
