"""Database outage through a TCP proxy the test cuts: 503s in the error shape (never a hang: the
configured timeouts end every wait), readiness unhealthy, nothing half-written, and recovery without
restarting the API (PostgreSQL only). How long a 503 takes is measured in bench/, not asserted here."""

from __future__ import annotations

import asyncio

import asyncpg

from testkit.clocks import without_hanging

from .conftest import assert_error_shape
from authkit import USER_B, bearer, make_token
from students import STUDENT

PREDICT = {"cod_persona": 1, "cod_curso": "CS2H1", "features": STUDENT}
WHATIF = {**PREDICT, "deltas": {"AVG_NG": 1}}
# Short deadlines so the test is quick; production defaults are 5 s / 15 s / 20 s / 10 s. Without
# them a black-holed database would hold a request for as long as TCP keeps the socket: a hang.
FAST = {
    "db_connect_timeout_seconds": 1,
    "db_statement_timeout_ms": 1000,
    "db_query_timeout_seconds": 1.5,
    "db_pool_timeout_seconds": 2,
    "db_pool_size": 2,
    "db_max_overflow": 1,
}


ENDPOINTS = (
    ("POST", "/api/v1/predict", PREDICT),
    ("POST", "/api/v1/whatif", WHATIF),
    ("GET", "/api/v1/history", None),
    ("GET", "/api/v1/auth/me", None),
    # The export reads its first chunk before answering: a 503, not a 200 cut short.
    ("GET", "/api/v1/history/export?format=csv", None),
    ("DELETE", "/api/v1/history/00000000-0000-4000-8000-000000000000", None),
    ("DELETE", "/api/v1/history", None),
)


async def _every_endpoint_answers_503(client, headers, endpoints=ENDPOINTS) -> None:
    for method, path, body in endpoints:
        response = await without_hanging(client.request(method, path, json=body, headers=headers), path)
        body_ = assert_error_shape(response, 503, "database_unavailable")
        assert response.headers["retry-after"].isdigit()
        assert "127.0.0.1" not in response.text and "psycopg2" not in response.text, body_
        assert "asyncpg" not in response.text, body_


def _assert_not_ready(response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == {"status": "unavailable"}


async def _recovers(client, headers, count_rows, expected_rows: int) -> None:
    response = await client.post("/api/v1/predict", json=PREDICT, headers=headers)
    assert response.status_code == 200, response.text
    assert (await client.get("/api/v1/readyz")).status_code == 200
    assert count_rows() == expected_rows


async def test_refused_database_is_a_503_and_the_api_recovers(make_client, pg_proxy, auth_headers, count_rows):
    async with make_client(database_url=pg_proxy.url, **FAST) as client:
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=auth_headers)).status_code == 200
        pg_proxy.cut()  # existing connections closed, new ones refused

        await _every_endpoint_answers_503(client, auth_headers)
        _assert_not_ready(await without_hanging(client.get("/api/v1/readyz"), "readyz"))
        assert (await client.get("/api/v1/healthz")).status_code == 200  # liveness stays up
        assert count_rows() == 1  # nothing written during the outage

        pg_proxy.restore()
        await _recovers(client, auth_headers, count_rows, expected_rows=2)


async def test_black_holed_database_is_a_503_not_a_hang_and_the_api_recovers(
    make_client, pg_proxy, auth_headers, count_rows
):
    async with make_client(database_url=pg_proxy.url, **FAST) as client:
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=auth_headers)).status_code == 200
        pg_proxy.blackhole()  # connections stay open, nothing is ever answered

        # A pooled connection waits DB_QUERY_TIMEOUT_SECONDS for its answer (asyncpg's command
        # timeout, in both pools), a new one DB_CONNECT_TIMEOUT_SECONDS; both bounded. /auth/me is
        # the engine's path, the others asyncpg's pool.
        await _every_endpoint_answers_503(client, auth_headers, endpoints=(*ENDPOINTS[::2], ENDPOINTS[3]))
        _assert_not_ready(await without_hanging(client.get("/api/v1/readyz"), "readyz"))

        # Concurrent requests queue for the small pool; the pool timeout ends their wait.
        burst = asyncio.gather(*(client.post("/api/v1/predict", json=PREDICT, headers=auth_headers) for _ in range(6)))
        for response in await without_hanging(burst, "6 concurrent /predict"):
            assert_error_shape(response, 503, "database_unavailable")
        assert count_rows() == 1

        pg_proxy.restore()
        await _recovers(client, auth_headers, count_rows, expected_rows=2)


async def test_a_write_that_dies_with_the_connection_acknowledges_nothing_and_stores_nothing(
    make_client, pg_proxy, auth_headers, count_rows, monkeypatch, capsys
):
    real_fetchval = asyncpg.Connection.fetchval
    cut_once = {"armed": True}

    async def cut_before_write(self, query, *args, **kwargs):
        # The connection has been checked out; it dies as the one statement that stores the user
        # and the inference (autocommit, so it is also the commit) is sent.
        if "INSERT INTO inferences" in query and cut_once.pop("armed", False):
            pg_proxy.cut()
        return await real_fetchval(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "fetchval", cut_before_write)
    async with make_client(database_url=pg_proxy.url, log_level="INFO", **FAST) as client:
        capsys.readouterr()
        response = await client.post("/api/v1/predict", json=PREDICT, headers=auth_headers)
        assert_error_shape(response, 503, "database_unavailable")
        assert cut_once == {}  # the cut really happened on the write
        # It may have committed, so it is not sent again (a retry would also have been refused).
        log = capsys.readouterr().out
        assert "database_unavailable" in log and "database_connection_replaced" not in log
        assert count_rows() == 0 and count_rows("users") == 0

        pg_proxy.restore()
        await _recovers(client, auth_headers, count_rows, expected_rows=1)


async def test_the_database_rate_limiter_reports_the_outage_as_503_not_a_pass(make_client, pg_proxy, count_rows):
    headers = bearer(make_token(user=USER_B))
    async with make_client(
        database_url=pg_proxy.url, rate_limit_predict="100/minute", rate_limit_backend="database", **FAST
    ) as client:
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=headers)).status_code == 200
        pg_proxy.cut()
        response = await client.post("/api/v1/predict", json=PREDICT, headers=headers)
        assert_error_shape(response, 503, "database_unavailable")
        pg_proxy.restore()
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=headers)).status_code == 200
    assert count_rows() == 2
