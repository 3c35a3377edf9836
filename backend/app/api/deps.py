"""Request dependencies: the app's state, the DB session (one transaction per request), the caller, the model.

Every piece of the running app comes from the one typed :class:`AppState` (app/api/state.py), through
one dependency, :data:`AppStateDep` (FastAPI resolves it once per request).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.state import AppState, app_state
from app.core.config import Settings
from app.core.security import AuthError, Principal
from app.db.inference_store import InferenceStore
from app.db.session import transaction
from app.services.idempotency import KEY_PATTERN, RequestKey
from app.services.inference import ModelEngine
from servicekit.errors import APIError
from servicekit.ratelimit import Quota, RateLimiter

_bearer = HTTPBearer(auto_error=False, description="Supabase access token (or a local dev token)")


# Plain attribute reads are async on purpose: FastAPI runs sync dependencies in the threadpool.
async def get_app_state(request: Request) -> AppState:
    return app_state(request.app)


AppStateDep = Annotated[AppState, Depends(get_app_state)]


async def get_settings(state: AppStateDep) -> Settings:
    return state.settings


async def get_session(state: AppStateDep) -> AsyncIterator[AsyncSession]:
    """The request's transaction (app/db/session.py): committed when the endpoint returns, rolled
    back when it raises; the one commit point of the requests that use it. Used with
    ``scope="function"`` so the commit happens before the response is sent: a failed commit becomes
    an error (503 when the database is gone), never a 200 for a row that does not exist. The session
    connects on its first statement. /predict, /whatif and /history do not use it: their store
    (app/db/inference_store.py) runs one atomic statement, or one transaction, per call."""
    async with transaction(state.session_factory) as session:
        yield session


async def get_current_user(
    state: AppStateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise AuthError("Missing bearer token")
    verifier = state.verifier
    token = credentials.credentials
    principal = verifier.cached(token)
    if principal is None:
        # A full verification may fetch the JWKS: keep it off the event loop.
        principal = await anyio.to_thread.run_sync(verifier.verify, token)
    return principal


async def _charge(limiter: RateLimiter | None, user: Principal, amount: int) -> Quota | None:
    """Counts ``amount`` requests against the caller's /predict + /whatif budget.

    With the database backend on PostgreSQL nothing happens here: the returned :class:`Quota` is
    counted by the statement that stores the inference(s), which stores nothing and raises 429 when
    the caller is over the limit. Other backends count now and raise 429 ``rate_limited`` with
    ``Retry-After`` before the endpoint runs. Either way a limited request stores nothing.
    """
    if limiter is None:
        return None
    if limiter.counts_in_write:
        return limiter.quota("inference", str(user.id))
    await anyio.to_thread.run_sync(limiter.enforce, "inference", str(user.id), amount)
    return None


async def get_inference_quota(state: AppStateDep, user: CurrentUser) -> Quota | None:
    """One /predict or /whatif against the budget (see :func:`_charge`)."""
    return await _charge(state.rate_limiter, user, 1)


ChargeInferences = Callable[[int], Awaitable[Quota | None]]


async def get_inference_charge(state: AppStateDep, user: CurrentUser) -> ChargeInferences:
    """For a batch: counts its items against the same budget once the body says how many."""
    limiter = state.rate_limiter

    async def charge(amount: int) -> Quota | None:
        return await _charge(limiter, user, amount)

    return charge


async def get_model_engine(state: AppStateDep) -> ModelEngine:
    return state.model_engine


async def get_inference_store(state: AppStateDep) -> InferenceStore:
    return state.inference_store


SettingsDep = Annotated[Settings, Depends(get_settings)]
CurrentUser = Annotated[Principal, Depends(get_current_user)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
InferenceQuota = Annotated[Quota | None, Depends(get_inference_quota)]
InferenceCharge = Annotated[ChargeInferences, Depends(get_inference_charge)]
ModelDep = Annotated[ModelEngine, Depends(get_model_engine)]


async def get_admin_user(user: CurrentUser) -> Principal:
    """Admins carry ``app_metadata.role = "admin"``: Supabase's app_metadata is writable only with the
    service role key, never by the user (unlike user_metadata)."""
    app_metadata = user.claims.get("app_metadata")
    if not isinstance(app_metadata, dict) or app_metadata.get("role") != "admin":
        raise APIError(403, "This action needs an admin account", error="forbidden")
    return user


AdminUser = Annotated[Principal, Depends(get_admin_user)]
StoreDep = Annotated[InferenceStore, Depends(get_inference_store)]


async def get_idempotency_key(
    state: AppStateDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=257,
            pattern=KEY_PATTERN,
            description="Retry-safe writes: the same key with the same body returns the first result "
            "(same id) and stores nothing new; with another body, 422; while the first is "
            "still running, 409. Remembered 24 h per user.",
        ),
    ] = None,
) -> RequestKey | None:
    return None if idempotency_key is None else RequestKey.parse(idempotency_key, state.idempotency)


IdempotencyKeyDep = Annotated[RequestKey | None, Depends(get_idempotency_key)]
