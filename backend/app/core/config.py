"""Settings read from the environment (and an optional ``backend/.env``).

Relative paths (``MODEL_PATH``, ``LOCAL_AUTH_KEY_PATH``, relative SQLite files) resolve against
``backend/``, not the current directory, so ``make run`` from the repository root and
``uvicorn`` from ``backend/`` use the same files.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.database import normalise_database_url
from servicekit.settings import ServiceSettings, refuse_unsafe_production

BACKEND_DIR = Path(__file__).resolve().parents[2]

DEFAULT_SQLITE_URL = "sqlite:///./unitrack.db"


def resolve_backend_path(value: str | Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (BACKEND_DIR / path).resolve()


def normalize_database_url(url: str) -> str:
    """The kit's normalisation (servicekit/database.py), relative SQLite files under ``backend/``."""
    return normalise_database_url(url, BACKEND_DIR)


def _is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day|(\d+)\s*s)\s*$", re.IGNORECASE)
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(value: str) -> tuple[int, int] | None:
    """``"60/minute"`` -> ``(60, 60)`` (requests, window seconds); ``"0"``/``"off"``/``""`` -> None."""
    text = (value or "").strip().lower()
    if text in ("", "0", "off", "none", "disabled") or text.startswith("0/"):
        return None
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"invalid rate limit {value!r}: use e.g. 60/minute, 10/second, 500/hour or 100/30s")
    count = int(match.group(1))
    window = int(match.group(3)) if match.group(3) else _UNITS[match.group(2).lower()]
    if count == 0:
        return None
    if not 1 <= window <= 86400:
        raise ValueError("rate limit window must be between 1 second and 1 day")
    return count, window


class Settings(ServiceSettings):
    """APP_ENV, LOG_LEVEL and FRONTEND_ORIGIN are the kit's (servicekit.settings.ServiceSettings)."""

    model_config = SettingsConfigDict(env_file=str(BACKEND_DIR / ".env"))

    # App
    app_name: str = "UniTrack API"
    api_prefix: str = "/api/v1"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=10 * 1024 * 1024)

    # Auth
    auth_mode: Literal["supabase", "local"] | None = None
    supabase_project_ref: str | None = None
    supabase_jwks_url: str | None = None
    supabase_issuer: str | None = None
    supabase_audience: str = "authenticated"
    supabase_jwt_secret: SecretStr | None = None
    jwt_leeway_seconds: int = Field(default=10, ge=0, le=120)
    # Supabase asks clients not to cache the JWKS for longer than ~10 minutes.
    jwks_cache_ttl_seconds: float = Field(default=600, gt=0, le=3600)
    jwks_refetch_cooldown_seconds: float = Field(default=30, ge=0)
    jwks_fetch_timeout_seconds: float = Field(default=5, gt=0, le=60)
    # A token that passed every check is trusted again for this long (never past its exp) without
    # re-verifying: PyJWT's checks cost more than the rest of a /predict. 0 disables it.
    token_cache_seconds: float = Field(default=60, ge=0, le=600)
    local_auth_key_path: Path = Path(".local_auth/es256_private.pem")
    local_token_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)

    # Database
    database_url: SecretStr = SecretStr(DEFAULT_SQLITE_URL)
    db_pool_size: int = Field(default=5, ge=1, le=50)
    db_max_overflow: int = Field(default=5, ge=0, le=50)
    db_connect_timeout_seconds: int = Field(default=5, ge=1, le=60)
    # 0 disables it (some poolers refuse startup options).
    db_statement_timeout_ms: int = Field(default=15000, ge=0)
    # How long a request waits for a free pooled connection before it gets a 503.
    db_pool_timeout_seconds: float = Field(default=10, gt=0, le=120)
    # Client-side cap on any single wait for the database (one query round trip, commit, or the
    # whole connection handshake uses DB_CONNECT_TIMEOUT_SECONDS). Catches a server or network that
    # accepts bytes but never answers, which the server-side statement timeout cannot. Must be
    # longer than DB_STATEMENT_TIMEOUT_MS so the server gets to cancel a slow query first.
    db_query_timeout_seconds: float = Field(default=20, gt=0, le=3600)
    # Prepared statements kept per asyncpg connection (the hot path's pool and the engine's; with 0
    # the engine names every statement uniquely). "auto": 0 on port 6543 (Supabase's transaction
    # pooler, where a statement prepared on one server connection is unknown on the next), 256
    # elsewhere; set 0 behind any other transaction-mode pooler (PgBouncer).
    db_statement_cache_size: Annotated[int, Field(ge=0, le=10_000)] | Literal["auto"] = "auto"

    # Rate limiting of /predict and /whatif (one shared budget per user), e.g. "60/minute",
    # "10/second", "500/hour" or "100/30s"; "0" or "off" disables it.
    rate_limit_predict: str = "60/minute"
    # auto: Redis when REDIS_URL is set, else the database. memory: per process (one replica only).
    rate_limit_backend: Literal["auto", "redis", "database", "memory"] = "auto"
    redis_url: SecretStr | None = None
    # Socket timeout for Redis calls; on any Redis failure the limiter fails open for a while.
    redis_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    rate_limit_fail_open_seconds: float = Field(default=5, ge=0, le=300)

    # Model
    model_path: Path = Path("../ml_models/models/model.pkl")
    # Compile the model to ONNX in the background at load and serve it once verified (app/ml/runtime).
    model_compile: bool = True
    # Limits of the child process that converts the model: wall time, graph size, address space.
    model_compile_timeout_seconds: float = Field(default=120, gt=0, le=3600)
    model_compile_max_mb: int = Field(default=512, ge=1, le=16384)
    model_compile_max_memory_mb: int = Field(default=4096, ge=256, le=65536)
    # In prod a model that cannot be served makes /predict and /whatif answer 503 model_unavailable;
    # true serves the fixed 0.5 mock instead (never for real students).
    allow_mock_model: bool = False
    # /metrics (Prometheus): open outside production; in production only with this bearer token.
    metrics_token: SecretStr | None = None
    # How long an Idempotency-Key on /predict and /whatif is remembered (per user).
    idempotency_key_ttl_seconds: int = Field(default=24 * 3600, ge=60, le=30 * 24 * 3600)
    # Seconds between checks of MODEL_PATH for a new file (hot reload); 0 turns the watcher off.
    model_watch_seconds: float = Field(default=5, ge=0, le=3600)

    @model_validator(mode="after")
    def _derive_and_check(self) -> Settings:
        self.api_prefix = "/" + self.api_prefix.strip("/") if self.api_prefix.strip("/") else ""
        self.model_path = resolve_backend_path(self.model_path)
        self.local_auth_key_path = resolve_backend_path(self.local_auth_key_path)
        self.database_url = SecretStr(normalize_database_url(self.database_url.get_secret_value()))

        if self.db_statement_timeout_ms and self.db_query_timeout_seconds * 1000 <= self.db_statement_timeout_ms:
            raise ValueError("DB_QUERY_TIMEOUT_SECONDS must be longer than DB_STATEMENT_TIMEOUT_MS")
        parse_rate(self.rate_limit_predict)  # raises ValueError on a bad spelling
        if self.redis_url is not None and not self.redis_url.get_secret_value().strip():
            self.redis_url = None
        if self.rate_limit_backend == "redis" and self.redis_url is None:
            raise ValueError("RATE_LIMIT_BACKEND=redis needs REDIS_URL")

        if self.auth_mode is None:
            self.auth_mode = "local" if self.app_env == "dev" else "supabase"

        ref = (self.supabase_project_ref or "").strip() or None
        if self.supabase_jwks_url is None and ref:
            self.supabase_jwks_url = f"https://{ref}.supabase.co/auth/v1/.well-known/jwks.json"
        if self.supabase_issuer is None and ref:
            self.supabase_issuer = f"https://{ref}.supabase.co/auth/v1"

        origins = self.cors_origins
        if self.auth_mode == "supabase":
            if not self.supabase_jwks_url:
                raise ValueError("AUTH_MODE=supabase needs SUPABASE_PROJECT_REF or SUPABASE_JWKS_URL")
            if not self.supabase_issuer:
                raise ValueError("AUTH_MODE=supabase needs SUPABASE_PROJECT_REF or SUPABASE_ISSUER")
            scheme = urlsplit(self.supabase_jwks_url).scheme
            if scheme not in ("http", "https"):
                raise ValueError("SUPABASE_JWKS_URL must be an http(s) URL")

        if self.app_env == "prod":
            refuse_unsafe_production(
                origins=origins,
                database_url=self.database_url,
                dev_auth=self.auth_mode == "local",
                secrets={"SUPABASE_JWT_SECRET": self.supabase_jwt_secret, "METRICS_TOKEN": self.metrics_token},
            )
            jwks = urlsplit(self.supabase_jwks_url or "")
            if jwks.scheme != "https" and not _is_loopback_host(jwks.hostname):
                raise ValueError("SUPABASE_JWKS_URL must use https in prod (plain http only on loopback)")
        return self

    @property
    def mock_model_allowed(self) -> bool:
        return self.app_env != "prod" or self.allow_mock_model

    @property
    def rate_limit(self) -> tuple[int, int] | None:
        return parse_rate(self.rate_limit_predict)

    @property
    def issuer(self) -> str:
        """The ``iss`` tokens must carry; local mode mints tokens with this value too."""
        return self.supabase_issuer or "unitrack-local"

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # SecretStr already masks values; this also keeps the DB host out of any repr.
        for name, value in super().__repr_args__():
            yield name, ("**********" if name in ("database_url", "redis_url") else value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
