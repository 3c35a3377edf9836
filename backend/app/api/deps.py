"""Request dependencies: the DB session (one transaction per request), the caller, the model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.security import AuthError, Principal, TokenVerifier
from app.services.inference import ModelEngine

_bearer = HTTPBearer(auto_error=False, description="Supabase access token (or a local dev token)")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """Commit when the endpoint returns, roll back when it raises.

    Used with ``scope="function"`` so the commit happens before the response is sent: a failed
    commit becomes a 500, never a 200 for a row that does not exist.
    """
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    # A sync dependency: FastAPI runs it in the threadpool, which keeps a JWKS fetch off the loop.
    if credentials is None:
        raise AuthError("Missing bearer token")
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(credentials.credentials)


def get_model_engine(request: Request) -> ModelEngine:
    return request.app.state.model_engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
CurrentUser = Annotated[Principal, Depends(get_current_user)]
ModelDep = Annotated[ModelEngine, Depends(get_model_engine)]
