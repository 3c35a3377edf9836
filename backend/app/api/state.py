"""Everything a request may need from the running app, in one typed container.

The lifespan (app/main.py) builds one :class:`AppState` when the app starts and installs it with
:func:`install_app_state`; the dependencies in app/api/deps.py read it through :func:`app_state`.
Nothing else is kept on ``app.state``. The container is frozen: a test that wants another piece
(a limiter with its own clock, a verifier with its own cache) installs a copy made with
``dataclasses.replace``. The one piece that changes while the app runs, the model engine, is
swapped by the :class:`ModelReloader` that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from app.core.config import Settings
from app.core.local_auth import LocalSigner
from app.core.security import TokenVerifier
from app.db.inference_store import InferenceStore
from app.services.idempotency import IdempotencyGuard
from app.services.inference import ModelEngine
from app.services.model_reload import ModelReloader
from servicekit.app_state import install_app_state, read_app_state
from servicekit.ratelimit import RateLimiter

__all__ = ["AppState", "app_state", "install_app_state"]


@dataclass(frozen=True)
class AppState:
    settings: Settings
    verifier: TokenVerifier
    local_signer: LocalSigner | None  # only with AUTH_MODE=local
    db_engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    inference_store: InferenceStore
    idempotency: IdempotencyGuard
    rate_limiter: RateLimiter | None  # None when RATE_LIMIT_PREDICT is 0
    model_reloader: ModelReloader

    @property
    def model_engine(self) -> ModelEngine:
        """The engine serving now; a request reads it once, so a reload never changes it mid-request."""
        return self.model_reloader.engine


def app_state(app: Starlette) -> AppState:
    return read_app_state(app, AppState)
