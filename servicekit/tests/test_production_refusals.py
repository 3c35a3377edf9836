"""Both services refuse the same unsafe production settings, and a refusal never prints a secret.

Each case starts the service's settings in a fresh interpreter with APP_ENV=prod and one thing wrong,
as a deploy would, and reads what it writes to stderr: the variable and the rule are named, the
secret values in the environment (the bad one and the good ones) are not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from servicekit.settings import production_problems

ROOT = Path(__file__).resolve().parents[2]
DB_PASSWORD = "db-pass-0f3c9a"  # must never show, whatever is refused
GOOD_SECRET = "k" * 24 + "-good-secret-77"
SERVICES = {
    "unitrack": (
        ROOT / "backend",
        "from app.core.config import Settings; Settings(_env_file=None)",
        {
            "APP_ENV": "prod",
            "SUPABASE_PROJECT_REF": "abcd",
            "FRONTEND_ORIGIN": "https://app.example",
            "DATABASE_URL": f"postgresql://u:{DB_PASSWORD}@db.example:5432/unitrack",
            "SUPABASE_JWT_SECRET": GOOD_SECRET,
        },
    ),
    "forecast": (
        ROOT / "forecast",
        "from api.config import Settings; Settings(_env_file=None)",
        {
            "APP_ENV": "prod",
            "SECRET_KEY": GOOD_SECRET,
            "FRONTEND_ORIGIN": "https://app.example",
            "DATABASE_URL": f"postgresql://u:{DB_PASSWORD}@db.example:5432/forecast",
            "ADMIN_USERNAME": "root",
            "ADMIN_PASSWORD": "a-long-enough-admin-password",
        },
    ),
}
# (service, variable changed, bad value, the variable the refusal must name)
CASES = [
    *[(service, "FRONTEND_ORIGIN", origin, "FRONTEND_ORIGIN") for service in SERVICES for origin in ("", "*")],
    *[(service, "DATABASE_URL", "sqlite:///./prod.db", "DATABASE_URL") for service in SERVICES],
    ("unitrack", "SUPABASE_JWT_SECRET", "hs256-secret-31-bytes-long-xxxx", "SUPABASE_JWT_SECRET"),
    ("forecast", "SECRET_KEY", "app-secret-31-bytes-long-xxxxxx", "SECRET_KEY"),
    ("forecast", "ADMIN_PASSWORD", "admin", "ADMIN_PASSWORD"),
    ("forecast", "ADMIN_PASSWORD", "forecast-demo-2026", "ADMIN_PASSWORD"),
    ("forecast", "ADMIN_PASSWORD", "pw-11-chars", "ADMIN_PASSWORD"),
    ("unitrack", "AUTH_MODE", "local", "AUTH_MODE"),
]


def _start(service: str, overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cwd, code, env = SERVICES[service]
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "APP_ENV", "FRONTEND_ORIGIN"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**clean, **env, **overrides},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_safe_production_configuration_starts(service):
    started = _start(service, {})
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize(("service", "variable", "bad", "named"), CASES)
def test_an_unsafe_production_setting_is_refused_without_printing_a_secret(service, variable, bad, named):
    refused = _start(service, {variable: bad})
    assert refused.returncode != 0
    assert "refused in production" in refused.stderr and named in refused.stderr, refused.stderr
    for secret in (DB_PASSWORD, GOOD_SECRET, "a-long-enough-admin-password", *([bad] if len(bad) > 5 else [])):
        assert secret not in refused.stderr + refused.stdout


def test_every_problem_is_reported_at_once():
    problems = production_problems(
        origins=[],
        database_url=SecretStr("sqlite:///x.db"),
        secrets={"SECRET_KEY": SecretStr("short")},
        admin_password="admin",
        dev_auth=True,
    )
    assert [p.split(" ")[0] for p in problems] == [
        "FRONTEND_ORIGIN",
        "DATABASE_URL",
        "SECRET_KEY",
        "ADMIN_PASSWORD",
        "AUTH_MODE=local",
    ]


def test_an_unset_optional_secret_is_not_a_problem():
    assert (
        production_problems(
            origins=["https://app.example"], database_url="postgresql://h/db", secrets={"SUPABASE_JWT_SECRET": None}
        )
        == []
    )
