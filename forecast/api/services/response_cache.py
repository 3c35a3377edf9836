"""The one cache of serialised JSON answers, for the run being served.

A published run never changes, so an answer is built once per run, path and query string, and every
later request for it gets the same bytes: from the router (``RunRead.json``) or, when the token is
already verified, straight from ``api.fastpath`` before FastAPI routes the request. The key holds the
run id, and ``RunStore.refresh`` starts a new generation before it swaps a new run in: an answer never
outlives its run, and one built from the old run while the swap happens is not kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Concatenate, ParamSpec

from pydantic import BaseModel

if TYPE_CHECKING:  # results owns the cache (RunStore.responses): no import back at run time
    from api.services.results import Snapshot

P = ParamSpec("P")
Key = tuple[str, str, bytes]  # (run id, path, query string)


class ResponseCache:
    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        # One reference, replaced whole by reset (called from the poller's thread): a reader sees
        # either the old generation or the new one, never a mix.
        self._generation: tuple[str | None, dict[Key, bytes]] = (None, {})

    def get(self, run_id: str, path: str, query: bytes) -> bytes | None:
        return self._generation[1].get((run_id, path, query))

    def put(self, run_id: str, path: str, query: bytes, body: bytes) -> None:
        current_run, bodies = self._generation
        if run_id == current_run and len(bodies) < self.max_entries:
            bodies[(run_id, path, query)] = body

    def reset(self, run_id: str) -> None:
        """Forgets every answer; from now on only answers of ``run_id`` are kept."""
        self._generation = (run_id, {})

    def __len__(self) -> int:
        return len(self._generation[1])

    def answer(self, run_id: str, path: str, query: bytes, build: Callable[[], BaseModel | bytes]) -> bytes:
        body = self.get(run_id, path, query)
        if body is None:
            value = build()
            body = value.model_dump_json().encode() if isinstance(value, BaseModel) else value
            self.put(run_id, path, query, body)
        return body


@dataclass(frozen=True, slots=True)
class RunRead:
    """One authenticated read of a run snapshot, answered through the cache under its path and query."""

    snapshot: Snapshot
    cache: ResponseCache
    path: str
    query: bytes

    def json(
        self, build: Callable[Concatenate[Snapshot, P], BaseModel | bytes], *args: P.args, **kwargs: P.kwargs
    ) -> bytes:
        snapshot = self.snapshot
        return self.cache.answer(snapshot.run_id, self.path, self.query, lambda: build(snapshot, *args, **kwargs))
