"""Predict / what-if use cases: call the model engine, persist, shape the response.

Persistence happens after the engine has accepted the features, so a rejected request stores
nothing. The store (app/db/inference_store.py) writes the user, the inference and, with the
database rate limiter on PostgreSQL, the request's count in one atomic step; over the limit it
stores nothing and this raises 429.

The engine scores a compiled, verified graph on the event loop (microseconds) and hands the
reference scikit-learn scorer to its one dedicated thread, so a slow model never stalls other
requests and concurrent requests queue for it instead of fighting over the GIL.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.core.security import Principal
from app.db.inference_store import (
    IdempotencyKeyUse,
    InferenceStore,
    KeyAlreadyStored,
    NewInference,
    StoredUnderKey,
)
from app.services.idempotency import IdempotencyKeyReused, RequestKey, checked, request_hash
from app.services.inference import ModelEngine, PredictionResult
from servicekit.ratelimit import Quota


@dataclass(frozen=True)
class StoredInference:
    """What was stored: its id and its ``output`` document, which is also the response body (less
    the id), so what a student saw and what their history shows cannot drift apart."""

    id: uuid.UUID
    output: dict[str, Any]

    @classmethod
    def replayed(cls, found: StoredUnderKey) -> StoredInference:
        return cls(id=found.inference_id, output=found.output)


def _label_and_score(result: PredictionResult) -> dict[str, Any]:
    return {"label": result.label, "score": float(result.score)}


def _prediction_output(result: PredictionResult) -> dict[str, Any]:
    return {
        "prediction": _label_and_score(result),
        "explain": [{"feature": i.feature, "impact": float(i.impact)} for i in result.explain],
        "version": result.version,
    }


@dataclass(frozen=True)
class Asked:
    """What a student asked about one course: its features and, for a what-if, the changes to try."""

    cod_persona: int
    cod_curso: str
    features: Mapping[str, Any]
    deltas: Mapping[str, Any] | None = None

    @property
    def kind(self) -> str:
        return "predict" if self.deltas is None else "whatif"

    def body(self) -> dict[str, Any]:
        """The request body, as the ``Idempotency-Key`` fingerprint sees it."""
        body = {"cod_persona": self.cod_persona, "cod_curso": self.cod_curso, "features": self.features}
        return body if self.deltas is None else {**body, "deltas": self.deltas}

    def row(
        self,
        stored: StoredInference,
        user: Principal,
        features_used: Mapping[str, Any],
        key_use: IdempotencyKeyUse | None = None,
    ) -> NewInference:
        """The row a stored inference becomes: what was asked (``input``) and what was answered."""
        asked: dict[str, Any] = {"cod_persona": self.cod_persona, "features": dict(self.features)}
        if self.deltas is not None:
            asked["deltas"] = dict(self.deltas)
        return NewInference(
            id=stored.id,
            user_id=user.id,
            email=user.email,
            kind=self.kind,
            cod_curso=self.cod_curso,
            input={**asked, "features_used": features_used},
            output=stored.output,
            version=stored.output["version"],
            idempotency=key_use,
        )


Scored = tuple[dict[str, Any], Mapping[str, Any]]
"""A response's ``output`` document and the features the model used for it."""


async def _once(
    store: InferenceStore,
    user: Principal,
    kind: str,
    body: Mapping[str, Any],
    key: RequestKey | None,
    score_and_store: Callable[[IdempotencyKeyUse | None], Awaitable[StoredInference]],
) -> StoredInference:
    """Scores and stores once per ``Idempotency-Key``; a retry gets what the first request stored."""
    if key is None:
        return await score_and_store(None)
    fingerprint = request_hash(kind, body)
    async with key.guard.claim(store, user.id, key.key, fingerprint) as earlier:
        if earlier is not None:
            return StoredInference.replayed(earlier)
        try:
            return await score_and_store(IdempotencyKeyUse(key.key, fingerprint))
        except KeyAlreadyStored:  # a twin on another replica stored it first: answer with its result
            winner = checked(await store.find_key(user.id, key.key), fingerprint)
            if winner is None:
                raise IdempotencyKeyReused from None  # stored and gone again: never the same request
            return StoredInference.replayed(winner)


async def answer(
    store: InferenceStore,
    engine: ModelEngine,
    user: Principal,
    asked: Asked,
    *,
    quota: Quota | None = None,
    key: RequestKey | None = None,
) -> StoredInference:
    """Scores what was asked (a prediction, or a what-if when it carries deltas) and stores it, once
    per ``Idempotency-Key``."""

    async def score_and_store(key_use: IdempotencyKeyUse | None) -> StoredInference:
        output, features_used = await _score(engine, asked)
        stored = StoredInference(id=uuid.uuid4(), output=output)
        count = await store.add(asked.row(stored, user, features_used, key_use), quota)
        if quota is not None and count is not None:
            quota.enforce(count)
        return stored

    return await _once(store, user, asked.kind, asked.body(), key, score_and_store)


async def _score(engine: ModelEngine, asked: Asked) -> Scored:
    if asked.deltas is None:
        result = await engine.apredict(dict(asked.features))
        return _prediction_output(result), result.features
    whatif = await engine.awhatif(dict(asked.features), dict(asked.deltas))
    output = {
        **_prediction_output(whatif.prediction),
        "baseline_score": float(whatif.baseline.score),
        "baseline": _label_and_score(whatif.baseline),
        "applied_deltas": {name: float(v) for name, v in whatif.applied_deltas.items()},
    }
    return output, whatif.prediction.features


async def predict_batch(
    store: InferenceStore,
    engine: ModelEngine,
    user: Principal,
    items: Sequence[Asked],
    *,
    quota: Quota | None = None,
) -> list[StoredInference]:
    """Every item checked, then all scored in one model call and stored in one transaction: all of
    them or none (a bad item is a 422 naming it, a rate limit met part-way a 429, both storing nothing)."""
    results = await engine.apredict_many([item.features for item in items])
    stored = [StoredInference(id=uuid.uuid4(), output=_prediction_output(result)) for result in results]
    rows = [item.row(s, user, result.features) for s, item, result in zip(stored, items, results, strict=True)]
    if quota is not None:
        quota = replace(quota, amount=len(rows))  # the limit counts items, not requests
    count = await store.add_batch(rows, quota)
    if quota is not None and count is not None:
        quota.enforce(count)
    return stored
