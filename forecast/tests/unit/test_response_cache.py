"""The one response cache keeps answers of the current run only, and only answers that were built."""

import pytest

from api.services.response_cache import ResponseCache, RunRead
from api.services.results import RunStore
from tests.support.runs import publish_fixture_run


def test_an_answer_is_built_once_per_run_path_and_query():
    cache, builds = ResponseCache(), []
    cache.reset("run-a")

    def build() -> bytes:
        builds.append(1)
        return b"[1]"

    assert cache.answer("run-a", "/p", b"q=1", build) == cache.answer("run-a", "/p", b"q=1", build) == b"[1]"
    assert len(builds) == 1
    cache.answer("run-a", "/p", b"q=2", build)
    cache.answer("run-a", "/other", b"q=1", build)
    assert len(builds) == 3


def test_another_runs_answer_is_never_returned_nor_kept():
    cache = ResponseCache()
    cache.reset("run-a")
    cache.put("run-a", "/p", b"", b"old")
    cache.reset("run-b")
    assert cache.get("run-b", "/p", b"") is None and cache.get("run-a", "/p", b"") is None
    # A request that took its snapshot before the swap finishes after it: its answer is not kept.
    assert cache.answer("run-a", "/p", b"", lambda: b"old") == b"old"
    assert len(cache) == 0
    assert cache.answer("run-b", "/p", b"", lambda: b"new") == b"new"
    assert cache.get("run-b", "/p", b"") == b"new"


def test_a_failed_build_is_not_cached():
    cache = ResponseCache()
    cache.reset("run-a")

    def fail() -> bytes:
        raise LookupError("no such model")

    with pytest.raises(LookupError):
        cache.answer("run-a", "/p", b"", fail)
    assert len(cache) == 0


def test_the_cache_is_bounded():
    cache = ResponseCache(max_entries=2)
    cache.reset("run-a")
    for query in (b"1", b"2", b"3"):
        assert cache.answer("run-a", "/p", query, lambda: b"x") == b"x"
    assert len(cache) == 2


def test_the_store_empties_the_cache_when_a_new_run_is_swapped_in(tmp_path):
    publish_fixture_run(tmp_path, "run-a")
    store = RunStore(tmp_path)
    store.refresh()
    read = RunRead(store.snapshot, store.responses, "/api/v1/methodology", b"")
    assert b'"run_id":"run-a"' in read.json(lambda snapshot: snapshot.bundle.summary)
    assert store.refresh() is False and len(store.responses) == 1  # same run: kept
    publish_fixture_run(tmp_path, "run-b")
    assert store.refresh() is True
    assert len(store.responses) == 0
    assert b'"run_id":"run-a"' in read.json(lambda snapshot: snapshot.bundle.summary)
    assert len(store.responses) == 0  # a read of the old snapshot, finishing after the swap, is answered, not kept
    fresh = RunRead(store.snapshot, store.responses, "/api/v1/methodology", b"")
    assert b'"run_id":"run-b"' in fresh.json(lambda snapshot: snapshot.bundle.summary)
