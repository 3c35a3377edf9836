"""GET /history/export, on SQLite and PostgreSQL: the caller's own rows as a JSON array or CSV, with
the list's filters and order, read by keyset in bounded chunks; 10,000 rows stream without being held
in memory."""

from __future__ import annotations

import csv
import gc
import io
import json
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import anyio
import pytest

from app.api.schemas import HistoryItem
from app.api.state import app_state
from app.db.errors import DatabaseUnavailableError
from app.services import history

from authkit import USER_A, USER_B, bearer, make_token
from history_rows import START, Row, ids, newest_first, store_rows

# Ids out of insertion order, three rows per time: keyset chunks must cut through equal times.
PERMUTATION = [5, 11, 2, 8, 0, 9, 3, 6, 10, 1, 7, 4]


@pytest.fixture
def other_headers() -> dict[str, str]:
    return bearer(make_token(user=USER_B, email="b@example.com"))


@pytest.fixture
def fetched(client, monkeypatch) -> list[int]:
    """How many rows each of the store's export queries returned, in order."""
    store = app_state(client.app).inference_store
    sizes: list[int] = []
    real = store.history_chunk

    async def recorded(*args: Any, **kwargs: Any) -> Any:
        rows = await real(*args, **kwargs)
        sizes.append(len(rows))
        return rows

    monkeypatch.setattr(store, "history_chunk", recorded)
    return sizes


def _twelve_rows_three_per_time(user: uuid.UUID) -> list[Row]:
    return [
        Row(user, START + timedelta(minutes=n // 3), id=uuid.UUID(f"00000000-0000-4000-8000-{p:012d}"))
        for n, p in enumerate(PERMUTATION)
    ]


async def _export(client, headers, **query) -> Any:
    response = await client.get(f"/api/v1/history/export?{urlencode(query)}", headers=headers)
    assert response.status_code == 200, response.text
    return response


async def _listed(client, headers, **query) -> list[dict]:
    response = await client.get(f"/api/v1/history?{urlencode({'limit': 200, **query})}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_json_export_is_the_callers_history_as_an_array_of_history_items(client, auth_headers, clean_db):
    mine, theirs = [Row(USER_A, START + timedelta(seconds=n)) for n in range(7)], [Row(USER_B, START)]
    store_rows(clean_db, mine + theirs)
    response = await _export(client, auth_headers, format="json")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == 'attachment; filename="unitrack-history.json"'
    items = response.json()
    assert [HistoryItem.model_validate(item).id for item in items] == [uuid.UUID(i) for i in ids(newest_first(mine))]
    assert items == await _listed(client, auth_headers)  # field for field what the list shows


async def test_a_csv_export_has_a_header_and_one_row_per_inference(client, auth_headers, clean_db):
    mine = [Row(USER_A, START + timedelta(seconds=n), cod_curso=f"C{n}") for n in range(3)]
    store_rows(clean_db, mine + [Row(USER_B, START)])
    response = await _export(client, auth_headers, format="csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="unitrack-history.csv"'
    records = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(records[0]) == history.CSV_COLUMNS
    listed = await _listed(client, auth_headers)
    assert [r["id"] for r in records] == ids(newest_first(mine)) == [i["id"] for i in listed]
    for record, item in zip(records, listed, strict=True):
        assert record["cod_curso"] == item["cod_curso"] and record["created_at"] == item["created_at"]
        assert int(record["cod_persona"]) == item["cod_persona"] and record["kind"] == item["kind"]
        assert json.loads(record["input"]) == item["input"] and json.loads(record["output"]) == item["output"]


async def test_each_user_exports_only_their_own_rows(client, auth_headers, other_headers, clean_db):
    mine, theirs = (
        _twelve_rows_three_per_time(USER_A)[:6],
        [Row(USER_B, START + timedelta(minutes=n)) for n in range(4)],
    )
    store_rows(clean_db, mine + theirs)
    for headers, own in ((auth_headers, mine), (other_headers, theirs)):
        exported = (await _export(client, headers, format="json")).json()
        assert sorted(i["id"] for i in exported) == sorted(ids(own))
        as_csv = list(csv.DictReader(io.StringIO((await _export(client, headers, format="csv")).text)))
        assert sorted(r["id"] for r in as_csv) == sorted(ids(own))


@pytest.mark.parametrize("order", ["newest", "oldest"])
async def test_an_export_read_in_small_chunks_matches_the_list_row_for_row(
    client, auth_headers, clean_db, monkeypatch, fetched, order
):
    # 12 rows, 3 per time, ids out of order, in chunks of 5: every chunk boundary falls inside a
    # group of equal times, where only the id tells which rows come next.
    monkeypatch.setattr(history, "EXPORT_CHUNK_ROWS", 5)
    store_rows(clean_db, _twelve_rows_three_per_time(USER_A))
    exported = (await _export(client, auth_headers, format="json", order=order)).json()
    assert exported == await _listed(client, auth_headers, order=order)
    assert len(exported) == 12 and fetched == [5, 5, 2]


async def test_an_export_applies_the_lists_filters(client, auth_headers, clean_db):
    rows = [
        Row(
            USER_A,
            START + timedelta(minutes=n),
            cod_curso=("MA101", "CS2H1")[n % 2],
            kind=("predict", "whatif")[n % 3 % 2],
        )
        for n in range(10)
    ]
    store_rows(clean_db, rows)
    query = {"cod_curso": "MA101", "kind": "predict", "since": "2026-01-01T00:01:00Z", "order": "oldest"}
    exported = (await _export(client, auth_headers, format="json", **query)).json()
    assert exported == await _listed(client, auth_headers, **query)
    assert [i["id"] for i in exported] == ids([r for r in rows[1:] if r.cod_curso == "MA101" and r.kind == "predict"])


async def test_an_empty_history_exports_an_empty_array_or_just_the_header(client, auth_headers):
    assert (await _export(client, auth_headers, format="json")).json() == []
    assert (await _export(client, auth_headers)).json() == []  # json is the default
    assert (await _export(client, auth_headers, format="csv")).text == ",".join(history.CSV_COLUMNS) + "\r\n"


async def test_an_unknown_export_format_is_a_422(client, auth_headers):
    response = await client.get("/api/v1/history/export?format=xml", headers=auth_headers)
    assert response.status_code == 422 and [d["field"] for d in response.json()["details"]] == ["format"]


# -- 10,000 rows ---------------------------------------------------------------------------------

TEN_THOUSAND = 10_000
# About 600 bytes of features per row, so the whole export is several megabytes.
FEATURES = {f"FEATURE_{n:02d}": n * 1.5 for n in range(30)}


class _CsvCheck:
    """Reads the CSV as it arrives, holding one line at a time: counts the rows, checks each is older
    than the one before (so none repeats), and that none is another user's."""

    def __init__(self) -> None:
        self.pending = b""
        self.rows = 0
        self.last: tuple[str, str] | None = None
        self.in_order = True
        self.foreign = 0

    def feed(self, data: bytes) -> None:
        *lines, self.pending = (self.pending + data).split(b"\r\n")
        for line in lines:
            record = next(csv.reader([line.decode()]))
            if record[0] == "id":
                continue
            self.rows += 1
            self.foreign += record[2] == "THEIRS"
            key = (record[5], record[0])  # created_at, id
            self.in_order = self.in_order and (self.last is None or key < self.last)
            self.last = key


async def _get_streamed(app, path: str, headers: dict[str, str], on_body: Callable[[bytes], None]) -> dict[str, Any]:
    """GET through the app's ASGI interface, handing each body message to ``on_body`` as it is sent and
    keeping none (httpx's ASGI transport would gather the whole body first)."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")] + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    seen: dict[str, Any] = {"status": None, "messages": 0, "bytes": 0, "complete": False}
    requested, done = False, anyio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays connected until the response is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            seen["messages"] += 1
            seen["bytes"] += len(message["body"])
            on_body(message["body"])
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            seen["complete"] = True
            done.set()

    await app(scope, receive, send)
    return seen


async def _export_measured(app, headers, query: str) -> tuple[dict[str, Any], _CsvCheck, int]:
    """Streams a CSV export through ``check``; with the peak of memory allocated meanwhile (tracemalloc)."""
    check = _CsvCheck()
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        seen = await _get_streamed(app, f"/api/v1/history/export?format=csv{query}", headers, check.feed)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen["status"] == 200 and seen["complete"]
    return seen, check, peak - before


async def test_an_export_of_ten_thousand_rows_streams_in_bounded_chunks_without_holding_them(
    client, auth_headers, clean_db, fetched
):
    store_rows(
        clean_db,
        [
            Row(USER_A, START + timedelta(milliseconds=n), input={"cod_persona": 7, "features": FEATURES})
            for n in range(TEN_THOUSAND)
        ]
        + [Row(USER_B, START + timedelta(milliseconds=n), cod_curso="THEIRS") for n in range(50)],
    )
    # A tenth of it first (its first 1,000 rows): the yardstick for what an export holds at a time.
    small, small_check, small_peak = await _export_measured(client.app, auth_headers, "&until=2026-01-01T00:00:00.999Z")
    assert small_check.rows == 1_000
    fetched.clear()

    seen, check, peak = await _export_measured(client.app, auth_headers, "")
    assert check.rows == TEN_THOUSAND and check.in_order and check.foreign == 0 and check.pending == b""
    # 20 full chunks, then one query that finds nothing more; never more than a chunk per query.
    assert fetched == [history.EXPORT_CHUNK_ROWS] * 20 + [0]
    assert seen["messages"] >= 20  # sent as it was read: the header, then one message per chunk
    # Memory: ten times the rows, not more memory at the peak than the tenth took, and a small
    # part of what was sent (over 8 MB), which is what an export gathered in memory would need.
    assert seen["bytes"] > 8_000_000 and seen["bytes"] > 9 * small["bytes"]
    print(f"export peak: {small_peak} B for 1,000 rows, {peak} B for 10,000 rows ({seen['bytes']} B sent)")
    assert peak < 1.5 * small_peak and peak < seen["bytes"] / 2, (small_peak, peak, seen["bytes"])


async def test_an_export_that_fails_part_way_is_cut_short_never_completed(client, auth_headers, clean_db, monkeypatch):
    # The response has started when the second chunk fails: the stream ends without its closing "]",
    # so the client's JSON parser rejects what it got instead of taking 5 rows for the whole history.
    monkeypatch.setattr(history, "EXPORT_CHUNK_ROWS", 5)
    store_rows(clean_db, _twelve_rows_three_per_time(USER_A))
    store = app_state(client.app).inference_store
    real, calls = store.history_chunk, []

    async def fails_after_the_first(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["after"])
        if len(calls) > 1:
            raise DatabaseUnavailableError("ConnectionResetError")
        return await real(*args, **kwargs)

    monkeypatch.setattr(store, "history_chunk", fails_after_the_first)
    received: list[bytes] = []
    seen = await _get_streamed(client.app, "/api/v1/history/export?format=json", auth_headers, received.append)
    # Never completed (no last body message), so the server closes the connection mid-body.
    assert seen["status"] == 200 and not seen["complete"]
    body = b"".join(received)
    assert body.startswith(b"[\n") and body.count(b'"id"') == 5 and not body.rstrip().endswith(b"]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
