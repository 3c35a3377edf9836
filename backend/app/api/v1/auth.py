"""GET /auth/me, and the local-mode JWKS."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import AppStateDep, CurrentUser, SessionDep
from app.api.schemas import MeResponse, error_responses
from app.db import repository

router = APIRouter(prefix="/auth", tags=["auth"])
local_router = APIRouter(prefix="/auth/local", tags=["auth"])


@router.get("/me", response_model=MeResponse, responses=error_responses(401, 503))
async def me(user: CurrentUser, session: SessionDep) -> MeResponse:
    await repository.ensure_user(session, user.id, user.email)
    return MeResponse(id=user.id, email=user.email)


@local_router.get("/jwks.json", include_in_schema=False)
def local_jwks(state: AppStateDep) -> dict[str, Any]:
    """Only mounted when AUTH_MODE=local: the public half of the dev signing key."""
    assert state.local_signer is not None  # the route is mounted only with a local signer
    jwks: dict[str, Any] = state.local_signer.jwks()
    return jwks
