from fastapi import APIRouter, Request

from api.deps import AuthCacheDep, CurrentPrincipal, CurrentUser, SessionDep, SettingsDep, ThrottleDep
from api.routers import errors
from api.schemas.auth import LoginRequest, MessageResponse, TokenResponse, UserResponse
from api.services import auth

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=TokenResponse, responses=errors(401, 403, 413, 422, 429, 503))
def login(
    body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep, throttle: ThrottleDep
) -> TokenResponse:
    client_ip = request.client.host if request.client else "unknown"
    return auth.login(session, settings, throttle, body.username, body.password, client_ip)


@router.post("/logout", response_model=MessageResponse, responses=errors(401, 403, 503))
def logout(principal: CurrentPrincipal, session: SessionDep, cache: AuthCacheDep) -> MessageResponse:
    auth.logout(session, cache, principal)
    session.commit()  # in this worker thread: see api.deps.get_session
    return MessageResponse(message="Logged out; the token is revoked")


@router.get("/me", response_model=UserResponse, responses=errors(401, 403, 503))
async def me(user: CurrentUser) -> UserResponse:
    return user


@router.post("/refresh", response_model=TokenResponse, responses=errors(401, 403, 503))
def refresh(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep, cache: AuthCacheDep
) -> TokenResponse:
    token = auth.refresh(session, settings, cache, principal)
    session.commit()  # in this worker thread: see api.deps.get_session
    return token
