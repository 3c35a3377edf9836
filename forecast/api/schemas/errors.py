from pydantic import BaseModel

from api.schemas.common import UtcDatetime


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    code: str


class ErrorResponse(BaseModel):
    """The single error shape of the service: every 4xx and 5xx uses it."""

    error: str
    message: str
    details: list[ErrorDetail] | None = None
    status_code: int
    timestamp: UtcDatetime
