"""Settings from the environment (and forecast/.env when present), validated once at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.database import normalise_database_url
from servicekit.settings import ServiceSettings, refuse_unsafe_production

FORECAST_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"


class Settings(ServiceSettings):
    """APP_ENV, LOG_LEVEL and FRONTEND_ORIGIN are the kit's (servicekit.settings.ServiceSettings)."""

    model_config = SettingsConfigDict(env_file=FORECAST_DIR / ".env")

    app_version: str = "1.0.0"
    log_json: bool | None = Field(None, description="JSON logs; defaults to on in prod")
    access_log: bool = True

    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    access_token_expire_minutes: int = Field(60, ge=1, le=60 * 24 * 30)
    jwt_algorithm: Literal["HS256"] = "HS256"
    auth_cache_seconds: float = Field(
        1.0, ge=0, le=30, description="How long a verified token is trusted without a database look-up"
    )

    database_url: SecretStr = SecretStr(f"sqlite:///{FORECAST_DIR / 'forecast.db'}")
    db_connect_timeout_seconds: int = Field(5, ge=1)
    db_statement_timeout_ms: int = Field(5000, ge=100)
    db_pool_size: int = Field(5, ge=1)
    db_pool_timeout_seconds: float = Field(5.0, gt=0, description="Wait for a free pooled connection")
    db_hard_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest one unit of work may hold a Postgres connection before its socket is cut"
    )

    # Where published runs live: "dir" (RESULTS_DIR, polled every RESULTS_POLL_SECONDS) or "postgres"
    # (this API's own database, shared by every replica; LISTEN/NOTIFY plus a poll every
    # RUN_STORE_POLL_SECONDS in case a notification is lost).
    run_store: Literal["dir", "postgres"] = "dir"
    run_store_poll_seconds: float = Field(5.0, gt=0, le=300)
    results_dir: Path = FORECAST_DIR / "pipelines" / "results"
    results_poll_seconds: float = Field(1.0, gt=0, le=60)

    max_body_bytes: int = Field(64 * 1024, ge=1024)

    # Dev only: `python -m api.cli ensure-demo-user` (refused in prod) creates this user for `make run`.
    demo_username: str = "demo"
    demo_password: SecretStr = SecretStr("forecast-demo-2026")
    # Where `make run` serves this API; only used to print a ready-to-paste login command.
    forecast_port: int = Field(8001, ge=1, le=65535)

    admin_username: str | None = None
    admin_email: str | None = None
    admin_password: SecretStr | None = None

    redis_url: SecretStr | None = None
    login_max_failures: int = Field(5, ge=1)
    login_window_seconds: int = Field(300, ge=1)
    login_lockout_seconds: int = Field(300, ge=1)
    # Failures from one address across all usernames: stops username spraying from one client.
    login_max_failures_per_ip: int = Field(50, ge=1)
    # /metrics (Prometheus): open outside production; in production only with this bearer token.
    metrics_token: SecretStr | None = None
    # Per account across every address: past this many failures in the window, each further failure
    # makes the account wait 1, 2, 4 ... seconds (at most the cap) before its next attempt.
    login_account_backoff_after: int = Field(5, ge=1)
    login_account_backoff_max_seconds: int = Field(60, ge=1, le=3600)
    # After a Redis error the throttle counts in this process for this long before asking Redis again.
    login_throttle_fallback_seconds: float = Field(30, gt=0, le=3600)
    # argon2 verifications at once; each uses 64 MiB, so this bounds login memory under a flood.
    password_hash_concurrency: int = Field(2, ge=1, le=64)

    default_horizon: int = Field(5, ge=1, le=30)

    @field_validator("database_url")
    @classmethod
    def _normalise_db(cls, value: SecretStr) -> SecretStr:
        return SecretStr(normalise_database_url(value.get_secret_value(), FORECAST_DIR))

    @field_validator("results_dir")
    @classmethod
    def _absolute_results_dir(cls, value: Path) -> Path:
        return value if value.is_absolute() else (FORECAST_DIR / value).resolve()

    @field_validator("redis_url", "admin_username", "admin_email", "admin_password", "metrics_token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return value or None

    @model_validator(mode="after")
    def _refuse_unsafe_prod(self) -> Settings:
        if self.app_env == "prod":
            refuse_unsafe_production(
                origins=self.cors_origins,
                database_url=self.database_url,
                secrets={"SECRET_KEY": self.secret_key, "METRICS_TOKEN": self.metrics_token},
                admin_password=self.admin_password,
            )
        return self

    @model_validator(mode="after")
    def _hard_timeout_above_statement_timeout(self) -> Settings:
        if self.db_hard_timeout_seconds * 1000 <= self.db_statement_timeout_ms:
            raise ValueError("DB_HARD_TIMEOUT_SECONDS must be longer than DB_STATEMENT_TIMEOUT_MS")
        return self

    @model_validator(mode="after")
    def _postgres_run_store_needs_postgres(self) -> Settings:
        if self.run_store == "postgres" and self.is_sqlite:
            raise ValueError(
                "RUN_STORE=postgres needs a PostgreSQL DATABASE_URL (the runs live in this API's database)"
            )
        return self

    @property
    def json_logs(self) -> bool:
        return self.is_prod if self.log_json is None else self.log_json

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
