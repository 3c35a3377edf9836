"""GET /auth/me, and the local-mode JWKS."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from app.api.deps import CurrentUser, SessionDep
from app.api.schemas import MeResponse, error_responses
from app.db import repository

router = APIRouter(prefix="/auth", tags=["auth"])
local_router = APIRouter(prefix="/auth/local", tags=["auth"])


@router.get("/me", response_model=MeResponse, responses=error_responses(401, 503))
def me(user: CurrentUser, session: SessionDep) -> MeResponse:
    repository.ensure_user(session, user.id, user.email)
    return MeResponse(id=user.id, email=user.email)


@local_router.get("/jwks.json", include_in_schema=False)
def local_jwks(request: Request) -> dict[str, Any]:
    """Only mounted when AUTH_MODE=local: the public half of the dev signing key."""
    jwks: dict[str, Any] = request.app.state.local_signer.jwks()
    return jwks
