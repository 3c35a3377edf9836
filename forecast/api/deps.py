"""FastAPI dependencies with short names.

Every dependency is ``async def``: a plain ``def`` would run in the thread pool, which costs more than
the in-memory read it guards. SessionDep is the commit point: the request's session commits when the
endpoint returns and rolls back when it raises; it ends before the response is sent
(scope="function"), so a client never sees a success whose commit failed. Writing endpoints commit at
their end, in the worker thread that did the work: a commit here needs a second thread-pool hop, and
under a burst the pool's threads can all be waiting for a database connection held by requests that
wait for a thread to commit (a deadlock until pool_timeout). Callbacks in
``session.info[AFTER_COMMIT]`` run once committed. The session connects lazily: read endpoints served
from memory never touch the database unless the token must be re-checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.config import Settings
from api.schemas.auth import UserResponse
from api.services import auth
from api.services.auth import AFTER_COMMIT
from api.services.response_cache import RunRead
from api.services.results import RunStore, Snapshot
from api.services.throttle import LoginThrottle
from api.state import app_state


async def get_settings_dep(request: Request) -> Settings:
    return app_state(request.app).settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    session = app_state(request.app).session_factory()
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
        for callback in session.info.pop(AFTER_COMMIT, ()):  # e.g. the local deny-list of a revocation
            callback()
    except BaseException:
        if session.in_transaction():
            await run_in_threadpool(session.rollback)
        raise
    finally:
        session.close()  # cheap: the connection, if any, went back to the pool at commit/rollback


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_store(request: Request) -> RunStore:
    return app_state(request.app).run_store


RunIdQuery = Annotated[
    str | None,
    Query(max_length=128, description="Read this kept run (GET /api/v1/runs lists them); default: the latest"),
]


AssetQuery = Annotated[
    str | None,
    Query(max_length=64, description="Read this asset of the run (GET /api/v1/assets lists them); default: the first"),
]


async def get_run_snapshot(request: Request, run_id: RunIdQuery = None) -> Snapshot:
    """The caller's token is checked first, then one snapshot is taken for the whole request:
    everything the endpoint reads comes from the same run. A single dependency on purpose: FastAPI's
    per-dependency overhead is most of the cost of an in-memory read."""
    await authenticate(request)
    store = app_state(request.app).run_store
    if run_id is None:
        return store.require()
    # An older run not in memory is read from the store in a worker thread (disk or database).
    snapshot = store.in_memory(run_id)
    return snapshot if snapshot is not None else await run_in_threadpool(store.require_run, run_id)


async def get_snapshot(request: Request, run_id: RunIdQuery = None, asset: AssetQuery = None) -> Snapshot:
    """As get_run_snapshot, seen through one of the run's assets (the first by default)."""
    return (await get_run_snapshot(request, run_id)).for_asset(asset)


def _read(request: Request, snapshot: Snapshot) -> RunRead:
    store = app_state(request.app).run_store
    return RunRead(snapshot, store.responses, request.scope["path"], request.scope["query_string"])


async def get_run_read(request: Request, run_id: RunIdQuery = None, asset: AssetQuery = None) -> RunRead:
    """An authenticated read of one asset of one snapshot (as get_snapshot), answered through the response
    cache under this request's path and query string (which holds the run id and the asset, when asked for)."""
    return _read(request, await get_snapshot(request, run_id, asset))


async def get_whole_run_read(request: Request, run_id: RunIdQuery = None) -> RunRead:
    """As get_run_read, for what belongs to the run rather than to one asset (its assets, its methodology)."""
    return _read(request, await get_run_snapshot(request, run_id))


async def get_throttle(request: Request) -> LoginThrottle:
    return app_state(request.app).login_throttle


async def get_auth_cache(request: Request) -> auth.AuthCache:
    return app_state(request.app).auth_cache


StoreDep = Annotated[RunStore, Depends(get_store)]
AuthedSnapshot = Annotated[Snapshot, Depends(get_snapshot)]
AuthedRead = Annotated[RunRead, Depends(get_run_read)]
AuthedRunRead = Annotated[RunRead, Depends(get_whole_run_read)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]
AuthCacheDep = Annotated[auth.AuthCache, Depends(get_auth_cache)]


bearer_scheme = HTTPBearer(auto_error=False, description="JWT from POST /api/v1/auth/login")


async def authenticate(request: Request) -> auth.Principal:
    """The request's principal: from the per-process token cache, or verified in a worker thread."""
    state = app_state(request.app)
    authorization = request.headers.get("authorization")
    token = auth.parse_bearer(authorization)
    principal: auth.Principal | None = state.auth_cache.get(token)
    if principal is not None:
        return principal
    # Single flight: when a cached token expires under load, one worker thread re-verifies it and the
    # concurrent requests carrying the same token await that result instead of piling onto the database.
    inflight = state.auth_inflight
    future = inflight.get(token)
    if future is None:
        future = asyncio.ensure_future(
            run_in_threadpool(auth.verify_token, state.settings, state.auth_cache, state.session_factory, token)
        )
        inflight[token] = future
        future.add_done_callback(lambda _: inflight.pop(token, None))
    return await asyncio.shield(future)


async def get_current_principal(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> auth.Principal:
    return await authenticate(request)


CurrentPrincipal = Annotated[auth.Principal, Depends(get_current_principal)]


async def get_current_user(principal: CurrentPrincipal) -> UserResponse:
    return principal.user


CurrentUser = Annotated[UserResponse, Depends(get_current_user)]
