"""GET /history's filters (cod_curso, kind, since, until) and order, on SQLite and PostgreSQL: each
filter alone and together, each user's rows only, and bad bounds as a 422 in the error shape."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from authkit import USER_A, USER_B, bearer, make_token
from history_rows import START, Row, ids, newest_first, store_rows

# USER_A: 12 rows, a minute apart, over two courses and both kinds; USER_B has the same courses,
# kinds and times, so every filter would match B's rows too if it forgot whose rows it reads.
COURSES = ("MA101", "CS2H1", "MA101")
KINDS = ("predict", "whatif")


def _rows(user) -> list[Row]:
    return [Row(user, START + timedelta(minutes=n), cod_curso=COURSES[n % 3], kind=KINDS[n % 2]) for n in range(12)]


@pytest.fixture
def rows(clean_db) -> dict:
    mine, theirs = _rows(USER_A), _rows(USER_B)
    store_rows(clean_db, mine + theirs)
    return {"mine": mine, "theirs": theirs}


@pytest.fixture
def other_headers() -> dict[str, str]:
    return bearer(make_token(user=USER_B, email="b@example.com"))


async def _page(client, headers, **query) -> dict:
    response = await client.get(f"/api/v1/history?{urlencode(query)}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _at(minutes: int, offset: str = "Z") -> str:
    """START + minutes as ISO-8601, written in UTC ("Z") or, for "+02:00", in that zone's wall time."""
    moment = START + timedelta(minutes=minutes)
    if offset == "Z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (moment + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S") + offset


async def test_history_filters_by_course_counting_only_the_callers_matching_rows(client, auth_headers, rows):
    page = await _page(client, auth_headers, cod_curso="CS2H1")
    expected = newest_first([r for r in rows["mine"] if r.cod_curso == "CS2H1"])
    assert [i["id"] for i in page["items"]] == ids(expected) and page["total"] == 4
    assert {i["cod_curso"] for i in page["items"]} == {"CS2H1"}


async def test_history_filters_by_kind(client, auth_headers, rows):
    page = await _page(client, auth_headers, kind="whatif")
    assert [i["id"] for i in page["items"]] == ids(newest_first([r for r in rows["mine"] if r.kind == "whatif"]))
    assert page["total"] == 6 and {i["kind"] for i in page["items"]} == {"whatif"}


async def test_history_since_and_until_are_inclusive_bounds(client, auth_headers, rows):
    page = await _page(client, auth_headers, since=_at(3), until=_at(7))
    assert [i["id"] for i in page["items"]] == ids(newest_first(rows["mine"][3:8])) and page["total"] == 5
    assert (await _page(client, auth_headers, since=_at(10)))["total"] == 2
    assert (await _page(client, auth_headers, until=_at(1)))["total"] == 2
    assert (await _page(client, auth_headers, since=_at(4), until=_at(4)))["total"] == 1


async def test_history_bounds_in_another_timezone_mean_the_same_instants(client, auth_headers, rows):
    # 02:03+02:00 is 00:03Z; httpx sends the "+" percent-encoded, as a client must.
    in_utc = await _page(client, auth_headers, since=_at(3), until=_at(7))
    elsewhere = await _page(client, auth_headers, since=_at(3, "+02:00"), until=_at(7, "+02:00"))
    assert elsewhere["items"] == in_utc["items"] and elsewhere["total"] == 5


async def test_history_lists_oldest_first_when_asked_and_pages_in_that_order(client, auth_headers, rows):
    oldest = ids(rows["mine"])  # stored a minute apart, oldest first
    assert [i["id"] for i in (await _page(client, auth_headers, order="oldest"))["items"]] == oldest
    pages = [await _page(client, auth_headers, order="oldest", limit=5, offset=o) for o in (0, 5, 10)]
    assert [i["id"] for p in pages for i in p["items"]] == oldest
    assert (await _page(client, auth_headers, order="newest"))["items"] == (await _page(client, auth_headers))["items"]


async def test_history_filters_combine(client, auth_headers, rows):
    page = await _page(client, auth_headers, cod_curso="MA101", kind="predict", since=_at(1), order="oldest")
    expected = [r for r in rows["mine"][1:] if r.cod_curso == "MA101" and r.kind == "predict"]
    assert [i["id"] for i in page["items"]] == ids(expected) and page["total"] == len(expected) == 3


async def test_history_filters_never_show_another_users_rows(client, auth_headers, other_headers, rows):
    query = {"cod_curso": "MA101", "kind": "predict", "since": _at(0), "until": _at(11), "order": "oldest"}
    mine = await _page(client, auth_headers, **query)
    theirs = await _page(client, other_headers, **query)
    assert set(i["id"] for i in mine["items"]) <= set(ids(rows["mine"]))
    assert set(i["id"] for i in theirs["items"]) <= set(ids(rows["theirs"]))
    assert mine["total"] == theirs["total"] == 4


async def test_a_filter_that_matches_nothing_gives_an_empty_page_with_total_zero(client, auth_headers, rows):
    page = await _page(client, auth_headers, cod_curso="NONE1")
    assert page["items"] == [] and page["total"] == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ({"since": "2026-01-01T00:10:00Z", "until": "2026-01-01T00:09:59Z"}, "until"),
        # Later on the wall clock, earlier in time (03:00Z, then 00:00Z).
        ({"since": "2026-01-01T01:00:00-02:00", "until": "2026-01-01T02:00:00+02:00"}, "until"),
        ({"since": "2026-01-01T00:00:00"}, "since"),  # no timezone
        ({"until": "2026-01-01"}, "until"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-13-01T00:00:00Z"}, "since"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since"),  # before year 1 in UTC
        ({"until": "9999-12-31T23:59:59-01:00"}, "until"),  # after year 9999 in UTC
        ({"kind": "train"}, "kind"),
        ({"order": "sideways"}, "order"),
        ({"cod_curso": "X" * 33}, "cod_curso"),
        ({"cod_curso": "MA 101"}, "cod_curso"),
    ],
)
async def test_bad_history_filters_are_a_422_naming_the_field(client, auth_headers, query, field):
    for path in ("/api/v1/history", "/api/v1/history/export"):
        response = await client.get(f"{path}?{urlencode(query)}", headers=auth_headers)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["error"] == "validation_error" and body["status_code"] == 422
        assert [d["field"] for d in body["details"]] == [field]
