"""What both services refuse to start with in production: one list, one wording.

Each service's Settings derives from :class:`ServiceSettings` and calls :func:`refuse_unsafe_production` from its model validator. Messages name
the variable and the rule, never a value, and both services set ``hide_input_in_errors`` in their
settings so pydantic's ValidationError does not echo the environment either: a refused
start must not print the secret it refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_BYTES = 32
MIN_ADMIN_PASSWORD_CHARS = 12
# Passwords and secrets published in this repository's docs, examples or defaults: never in production.
DOCUMENTED_DEFAULTS = frozenset(
    {
        "admin",
        "password",
        "changeme",
        "change-me",
        "secret",
        "forecast-demo-2026",  # the forecast demo user's (README, `make run`)
        "dev-insecure-secret-key-change-me",  # forecast's SECRET_KEY default
    }
)


def parse_origins(value: str) -> list[str]:
    """``FRONTEND_ORIGIN`` is a comma-separated list in both services; trailing slashes dropped."""
    return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]


def _plain(value: SecretStr | str | None) -> str | None:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _is_documented(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered in DOCUMENTED_DEFAULTS or "change-me" in lowered or "changeme" in lowered


def production_problems(
    *,
    origins: list[str],
    database_url: SecretStr | str,
    secrets: Mapping[str, SecretStr | str | None],
    admin_password: SecretStr | str | None = None,
    dev_auth: bool = False,
) -> list[str]:
    """Every reason the configuration is unsafe for production (empty when it is fine).

    ``secrets`` maps a variable's name to its value (HS256 keys, the app's signing secret); an unset
    one is not checked here (each service says which it needs)."""
    problems = []
    if not origins or any("*" in origin for origin in origins):
        problems.append("FRONTEND_ORIGIN must list explicit origins (not empty, no wildcard)")
    if (_plain(database_url) or "").startswith("sqlite"):
        problems.append("DATABASE_URL must be PostgreSQL, not SQLite")
    for name, secret in secrets.items():
        value = _plain(secret)
        if value is not None and (len(value.encode()) < MIN_SECRET_BYTES or _is_documented(value)):
            problems.append(f"{name} must be a random value of at least {MIN_SECRET_BYTES} bytes")
    password = _plain(admin_password)
    if password is not None and (len(password) < MIN_ADMIN_PASSWORD_CHARS or _is_documented(password)):
        problems.append(
            f"ADMIN_PASSWORD must have at least {MIN_ADMIN_PASSWORD_CHARS} characters and not be a documented default"
        )
    if dev_auth:
        problems.append("AUTH_MODE=local (development tokens) is refused")
    return problems


def refuse_unsafe_production(**checks: Any) -> None:
    """Raises ValueError listing every problem of :func:`production_problems` at once."""
    problems = production_problems(**checks)
    if problems:
        raise ValueError("refused in production (APP_ENV=prod): " + "; ".join(problems))


class ServiceSettings(BaseSettings):
    """Both services' Settings derive from this: how the environment is read, the fields both take
    alike, and what they derive the same way from them. Each service adds its ``env_file``."""

    model_config = SettingsConfigDict(
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,  # a refused start must not echo the environment (secrets) back
    )

    app_env: Literal["dev", "test", "prod"] = "dev"
    log_level: str = "INFO"
    frontend_origin: str = "http://localhost:3000"

    if TYPE_CHECKING:  # each service's own field, with its own default (pydantic must not collect this)
        database_url: SecretStr

    @property
    def is_prod(self) -> bool:
        return self.app_env == "prod"

    @property
    def cors_origins(self) -> list[str]:
        return parse_origins(self.frontend_origin)

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url.get_secret_value()
