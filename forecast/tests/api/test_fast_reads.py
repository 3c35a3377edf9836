"""The one response cache (api/services/response_cache.py), read by the routers and by api.fastpath,
never changes what a client sees."""

import re
from dataclasses import replace

from api.services.auth import AuthCache
from api.state import app_state, install_app_state
from tests.support.runs import publish_fixture_run

Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
READS = [
    "/api/v1/forecasts/latest?limit=3",
    "/api/v1/forecasts/dashboard",
    "/api/v1/models/comparison",
    "/api/v1/forecasts/?model=ridge",
    "/api/v1/images/",
]
# Every JSON read of the run, once each: the routers that answer through the cache.
EVERY_JSON_READ = READS + [
    "/api/v1/forecasts",
    "/api/v1/forecasts/?horizon=5&page=1&page_size=2",
    "/api/v1/forecasts/consensus",
    "/api/v1/forecasts/consensus?horizon=10",
    "/api/v1/forecasts/by-horizon/5",
    "/api/v1/models",
    "/api/v1/models/ridge",
    "/api/v1/models/ridge/metrics",
    "/api/v1/models/ridge/feature-importance",
    "/api/v1/models/ridge/feature-importance?horizon=1",
    "/api/v1/images/models?model=ridge",
    "/api/v1/methodology",
]


def _answer(response) -> tuple[int, str, str, bytes]:
    return response.status_code, response.headers["content-type"], response.headers["content-length"], response.content


async def test_repeated_reads_return_the_same_bytes_as_the_first(client, auth, published, app):
    first = {p: (await client.get(p, headers=auth)).content for p in READS}
    assert len(app_state(app).run_store.responses) == len(READS)  # recorded
    for path in READS:
        again = await client.get(path, headers=auth)
        assert again.status_code == 200 and again.content == first[path]
        assert again.headers["content-type"] == "application/json"
        assert again.headers["x-request-id"]


async def test_cached_and_uncached_answers_are_byte_identical(client, auth, published, app, monkeypatch):
    store = app_state(app).run_store
    routed: list[str] = []  # the paths FastAPI's routers answered (through the cache); the fast path is not one
    answer = store.responses.answer
    monkeypatch.setattr(
        store.responses, "answer", lambda run, path, *rest: routed.append(path) or answer(run, path, *rest)
    )
    for path in EVERY_JSON_READ:
        install_app_state(
            app, replace(app_state(app), auth_cache=AuthCache(ttl=60))
        )  # the token is verified by the router, then trusted for 60 s
        built = await client.get(path, headers=auth)  # not cached yet: the router builds it
        assert built.status_code == 200, (path, built.text)
        from_fast_path = await client.get(path, headers=auth)  # token and answer cached: never routed
        assert len(routed) == 1
        install_app_state(app, replace(app_state(app), auth_cache=AuthCache(ttl=60)))
        from_router = await client.get(path, headers=auth)  # token unknown: routed, answered from the cache
        store.responses.reset(store.snapshot.run_id)
        rebuilt = await client.get(path, headers=auth)  # routed and built again
        assert len(routed) == 3 and len(store.responses) == 1
        assert _answer(built) == _answer(from_fast_path) == _answer(from_router) == _answer(rebuilt), path
        routed.clear()


async def test_failed_reads_are_not_cached(client, auth, published, app):
    for path in ("/api/v1/models/nope", "/api/v1/forecasts/by-horizon/30", "/api/v1/forecasts/?page=0"):
        assert (await client.get(path, headers=auth)).status_code in (404, 422)
    assert len(app_state(app).run_store.responses) == 0


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
    app_state(app).run_store.refresh()
    after = (await client.get("/api/v1/forecasts/dashboard", headers=auth)).json()
    assert (before["last_actual_price"], after["last_actual_price"]) == (2650.0, 3000.0)


async def test_every_read_of_a_newly_published_run_is_built_from_that_run(client, auth, published, app, results_dir):
    store = app_state(app).run_store
    built = {path: (await client.get(path, headers=auth)).content for path in EVERY_JSON_READ}
    old = {path: (await client.get(path, headers=auth)).content for path in EVERY_JSON_READ}  # from the cache
    assert old == built
    publish_fixture_run(results_dir, "run-b", last_price=3000.0)
    assert store.refresh() is True
    new = {path: (await client.get(path, headers=auth)).content for path in EVERY_JSON_READ}
    new_again = {path: (await client.get(path, headers=auth)).content for path in EVERY_JSON_READ}
    store.responses.reset("run-b")
    built_fresh = {path: (await client.get(path, headers=auth)).content for path in EVERY_JSON_READ}
    assert new == new_again == built_fresh
    for path in ("/api/v1/forecasts/dashboard", "/api/v1/forecasts/latest?limit=3", "/api/v1/methodology"):
        assert old[path] != new[path], path
    assert b'"run_id":"run-b"' in new["/api/v1/methodology"]


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
