"""The per-snapshot response record (api.fastpath) never changes what a client sees."""

import re

from tests.support.runs import publish_fixture_run

Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
READS = [
    "/api/v1/forecasts/latest?limit=3",
    "/api/v1/forecasts/dashboard",
    "/api/v1/models/comparison",
    "/api/v1/forecasts/?model=ridge",
    "/api/v1/images/",
]


async def test_repeated_reads_return_the_same_bytes_as_the_first(client, auth, published, app):
    first = {p: (await client.get(p, headers=auth)).content for p in READS}
    assert app.state.run_store.snapshot.http_cache  # recorded
    for path in READS:
        again = await client.get(path, headers=auth)
        assert again.status_code == 200 and again.content == first[path]
        assert again.headers["content-type"] == "application/json"
        assert again.headers["x-request-id"]


async def test_recorded_reads_still_require_a_valid_unrevoked_token(client, auth, published):
    await client.get("/api/v1/forecasts/dashboard", headers=auth)
    await client.get("/api/v1/forecasts/dashboard", headers=auth)
    assert (await client.get("/api/v1/forecasts/dashboard")).status_code == 401
    assert (
        await client.get("/api/v1/forecasts/dashboard", headers={"Authorization": "Bearer x.y.z"})
    ).status_code == 401
    await client.post("/api/v1/auth/logout", headers=auth)
    assert (await client.get("/api/v1/forecasts/dashboard", headers=auth)).status_code == 401


async def test_a_new_run_is_never_answered_from_the_previous_runs_record(client, auth, published, app, results_dir):
    before = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    publish_fixture_run(results_dir, "run-b", last_price=3000.0)
    app.state.run_store.refresh()
    after = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    assert (before["last_actual_price"], after["last_actual_price"]) == (2650.0, 3000.0)


def _datetimes(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _datetimes(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _datetimes(v, key)
    elif isinstance(value, str) and (key.endswith("_at") or key == "timestamp"):
        yield key, value


async def test_every_datetime_in_every_json_response_is_utc_with_z(client, auth, published):
    paths = READS + [
        "/api/v1/forecasts/consensus",
        "/api/v1/forecasts/by-horizon/5",
        "/api/v1/models/",
        "/api/v1/images/models",
        "/api/v1/health",
        "/api/v1/auth/me",
        "/api/v1/models/nope",
    ]
    seen = 0
    for path in paths:
        for key, value in _datetimes((await client.get(path, headers=auth)).json()):
            assert Z.match(value), (path, key, value)
            seen += 1
    assert seen > 20
