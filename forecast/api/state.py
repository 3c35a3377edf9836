"""Everything a request may need from the running forecast app, in one typed container.

``create_app`` (api/main.py) builds one :class:`AppState` and installs it; the dependencies
(api/deps.py), the fast-read middleware and the lifespan read it through :func:`app_state`. Nothing
else is kept on ``app.state``. A test that wants another piece (a throttle over a store it can cut, an
auth cache with another lifetime) installs a copy made with ``dataclasses.replace``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from api.config import Settings
from api.services.auth import AuthCache, Principal
from api.services.results import RunStore
from api.services.throttle import LoginThrottle
from servicekit.app_state import install_app_state, read_app_state

__all__ = ["AppState", "app_state", "install_app_state"]


@dataclass(frozen=True)
class AppState:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    run_store: RunStore
    login_throttle: LoginThrottle
    auth_cache: AuthCache
    # Token verifications in flight, by token: concurrent requests with one token await one verification.
    auth_inflight: dict[str, asyncio.Future[Principal]] = field(default_factory=dict)


def app_state(app: Starlette) -> AppState:
    return read_app_state(app, AppState)
