from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from servicekit.timestamps import UtcDatetime


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: UtcDatetime


class UserResponse(BaseModel):
    id: int
    username: str
    email: str
    is_active: bool
    created_at: UtcDatetime


class MessageResponse(BaseModel):
    message: str
