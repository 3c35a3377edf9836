"""Idempotent /predict and /whatif, after the IETF ``Idempotency-Key`` header draft.

A client that did not get an answer (a timeout, a 503 whose commit had in fact reached the database)
retries with the same key and gets the first stored result: 200, same ``id``, same body, nothing new
stored. The key is the client's and unique per user; the stored record is written by the same
statement (or transaction) as the inference, so both commit or neither does.

* same key, same request, stored          -> the stored result, again
* same key, another request               -> 422 ``idempotency_key_reused``
* same key while the first is still running on this replica -> 409 ``idempotency_key_in_flight``
  (across replicas the database's unique key decides: the second writer stores nothing and answers
  with the first one's result)
* keys older than ``IDEMPOTENCY_KEY_TTL_SECONDS`` (24 h) are forgotten and pruned.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.db.inference_store import InferenceStore, StoredUnderKey

# Visible ASCII, as the draft's examples; a key in double quotes (the draft's sf-string) is unquoted.
KEY_PATTERN = r'^"?[\x21-\x7e]{1,255}"?$'
PRUNE_EVERY_SECONDS = 600.0


class IdempotencyKeyReused(Exception):
    """The key was used before for a different request."""


class IdempotentRequestInFlight(Exception):
    """A request with this key is still being served."""


def request_hash(kind: str, body: Mapping[str, Any]) -> str:
    """The request's fingerprint: endpoint and body, keys sorted (JSON key order is not meaning)."""
    canonical = json.dumps({"kind": kind, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyGuard:
    """Per replica: the keys in flight and when expired keys were last pruned."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.ttl = timedelta(seconds=ttl_seconds)
        self._clock = clock
        self._in_flight: set[tuple[uuid.UUID, str]] = set()
        self._pruned_at: float | None = None

    @asynccontextmanager
    async def claim(
        self, store: InferenceStore, user_id: uuid.UUID, key: str, fingerprint: str
    ) -> AsyncIterator[StoredUnderKey | None]:
        """Yields the earlier result to replay, or None: then the caller scores and stores."""
        slot = (user_id, key)
        if slot in self._in_flight:
            raise IdempotentRequestInFlight
        self._in_flight.add(slot)
        try:
            cutoff = datetime.now(UTC) - self.ttl
            found = await store.find_key(user_id, key)
            if found is not None and _aware(found.created_at) < cutoff:
                await store.prune_keys(cutoff)  # the old record must go before the key is stored again
                self._pruned_at = self._clock()
                found = None
            elif self._pruned_at is None or self._clock() - self._pruned_at > PRUNE_EVERY_SECONDS:
                self._pruned_at = self._clock()
                await store.prune_keys(cutoff)
            yield checked(found, fingerprint)
        finally:
            self._in_flight.discard(slot)


def checked(found: StoredUnderKey | None, fingerprint: str) -> StoredUnderKey | None:
    if found is not None and found.request_hash != fingerprint:
        raise IdempotencyKeyReused
    return found


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class RequestKey:
    """The request's ``Idempotency-Key`` and the replica's guard."""

    key: str
    guard: IdempotencyGuard

    @classmethod
    def parse(cls, header: str, guard: IdempotencyGuard) -> RequestKey:
        return cls(header[1:-1] if len(header) > 1 and header[0] == header[-1] == '"' else header, guard)
