import pytest
from pydantic import ValidationError

from api.config import DEFAULT_SECRET_KEY, FORECAST_DIR, Settings

STRONG = "s" * 48
POSTGRES = "postgresql://u:p@db.example:5432/forecast"


def make(**values) -> Settings:
    return Settings(_env_file=None, **values)


def prod(**values) -> Settings:
    return make(
        **{
            "app_env": "prod",
            "secret_key": STRONG,
            "frontend_origin": "https://app.example",
            "database_url": POSTGRES,
            **values,
        }
    )


def test_prod_refuses_the_default_secret_key():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        prod(secret_key=DEFAULT_SECRET_KEY)


def test_prod_refuses_a_short_secret_key():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        prod(secret_key="short")


@pytest.mark.parametrize("origin", ["*", "", "https://app.example,*"])
def test_prod_refuses_a_wildcard_or_empty_cors_origin(origin):
    with pytest.raises(ValidationError, match="FRONTEND_ORIGIN"):
        prod(frontend_origin=origin)


def test_prod_refuses_sqlite():
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        prod(database_url="sqlite:///./forecast.db")


@pytest.mark.parametrize("password", ["admin", "forecast-demo-2026", "short-pw"])
def test_prod_refuses_a_short_or_documented_admin_password(password):
    with pytest.raises(ValidationError, match="ADMIN_PASSWORD"):
        prod(admin_username="root", admin_password=password)


def test_prod_accepts_a_strong_key_an_explicit_origin_and_postgres():
    settings = prod(admin_username="root", admin_password="a-long-enough-password")
    assert settings.is_prod and settings.json_logs and settings.cors_origins == ["https://app.example"]


def test_dev_allows_the_default_key():
    assert make(app_env="dev").secret_key.get_secret_value() == DEFAULT_SECRET_KEY


@pytest.mark.parametrize("url", ["postgres://u:p@h:5432/db", "postgresql://u:p@h:5432/db"])
def test_postgres_urls_are_normalised_to_psycopg2(url):
    assert make(database_url=url).sqlalchemy_url == "postgresql+psycopg2://u:p@h:5432/db"


def test_default_database_is_sqlite_under_forecast():
    assert make().sqlalchemy_url == f"sqlite:///{FORECAST_DIR / 'forecast.db'}"


def test_relative_results_dir_is_resolved_against_forecast():
    assert make(results_dir="pipelines/results").results_dir == FORECAST_DIR / "pipelines" / "results"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_EXPIRE_MINUTES", "15")
    monkeypatch.setenv("REDIS_URL", "")
    settings = make()
    assert settings.access_token_expire_minutes == 15 and settings.redis_url is None


def test_relative_sqlite_paths_are_relative_to_forecast():
    assert make(database_url="sqlite:///./x.db").sqlalchemy_url == f"sqlite:///{FORECAST_DIR / 'x.db'}"


def test_prod_refuses_the_env_example_placeholder_secret():
    placeholder = "change-me-to-a-long-random-value-of-48-characters"  # as in .env.example
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        prod(secret_key=placeholder)


def test_the_postgres_run_store_needs_a_postgres_database():
    with pytest.raises(ValidationError, match="RUN_STORE=postgres needs a PostgreSQL DATABASE_URL"):
        make(run_store="postgres", database_url="sqlite:///./x.db")
    assert make(run_store="postgres", database_url=POSTGRES).run_store == "postgres"
    assert make().run_store == "dir"
