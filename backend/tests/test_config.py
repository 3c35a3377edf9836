"""Settings: defaults, derived Supabase URLs, URL normalisation and refused prod configs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import BACKEND_DIR, Settings, normalize_database_url

PROD = {
    "_env_file": None,
    "app_env": "prod",
    "supabase_project_ref": "abcd",
    "database_url": "postgresql://u:s3cret@db.example.com:5432/postgres",
    "frontend_origin": "https://unitrack.vercel.app",
}


def test_dev_defaults_to_local_auth_and_embedded_sqlite():
    settings = Settings(_env_file=None, app_env="dev")
    assert settings.auth_mode == "local"
    assert settings.sqlalchemy_url == f"sqlite:///{BACKEND_DIR / 'unitrack.db'}"
    assert settings.model_path == (BACKEND_DIR.parent / "ml_models" / "models" / "model.pkl").resolve()


def test_project_ref_derives_the_jwks_url_and_issuer():
    settings = Settings(**PROD)
    assert settings.auth_mode == "supabase"
    assert settings.supabase_jwks_url == "https://abcd.supabase.co/auth/v1/.well-known/jwks.json"
    assert settings.issuer == "https://abcd.supabase.co/auth/v1"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg2://u:p@h:5432/d"),
        ("postgresql://u:p@h/d?sslmode=require", "postgresql+psycopg2://u:p@h/d?sslmode=require"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_urls_are_normalised_to_psycopg2(url, expected):
    assert normalize_database_url(url) == expected


def test_unsupported_database_schemes_are_refused():
    with pytest.raises(ValueError):
        normalize_database_url("mysql://u@h/d")


@pytest.mark.parametrize(
    "overrides",
    [
        {"auth_mode": "local"},
        {"frontend_origin": "*"},
        {"frontend_origin": ""},
        {"supabase_jwt_secret": "short-hs256-key"},
        {"frontend_origin": "https://a.vercel.app,*"},
        {"database_url": "sqlite:///./prod.db"},
        {"supabase_jwks_url": "http://keys.example.com/jwks.json"},
        {"supabase_jwks_url": "file:///etc/passwd"},
    ],
)
def test_dangerous_prod_configurations_are_refused(overrides):
    with pytest.raises(ValidationError):
        Settings(**{**PROD, **overrides})


def test_plain_http_jwks_on_loopback_is_allowed_in_prod():
    settings = Settings(**{**PROD, "supabase_jwks_url": "http://127.0.0.1:54321/auth/v1/.well-known/jwks.json"})
    assert settings.supabase_jwks_url.startswith("http://127.0.0.1")


def test_supabase_mode_without_a_project_or_urls_is_refused():
    with pytest.raises(ValidationError):
        Settings(_env_file=None, app_env="test", auth_mode="supabase")


def test_comma_separated_frontend_origins_become_a_list():
    settings = Settings(**{**PROD, "frontend_origin": "https://a.vercel.app/, https://b.vercel.app"})
    assert settings.cors_origins == ["https://a.vercel.app", "https://b.vercel.app"]


def test_settings_repr_hides_the_database_url_and_secrets():
    secret = "jwt-secret-value-" + "x" * 32
    settings = Settings(**{**PROD, "supabase_jwt_secret": secret})
    text = repr(settings) + str(settings)
    assert "s3cret" not in text and "db.example.com" not in text
    assert secret not in text
