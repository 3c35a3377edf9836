from typing import Literal

from pydantic import BaseModel

from servicekit.timestamps import UtcDatetime

HealthStatus = Literal["healthy", "degraded", "unhealthy"]


class ServiceHealth(BaseModel):
    name: str
    status: HealthStatus
    latency_ms: float | None = None
    message: str | None = None


class HealthResponse(BaseModel):
    status: HealthStatus
    version: str
    environment: str
    services: dict[str, ServiceHealth]
    timestamp: UtcDatetime


class LivenessResponse(BaseModel):
    status: Literal["ok"] = "ok"
