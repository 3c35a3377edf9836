import pytest
from pydantic import ValidationError

from api.config import DEFAULT_SECRET_KEY, FORECAST_DIR, Settings

STRONG = "s" * 48


def make(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_prod_refuses_the_default_secret_key():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        make(app_env="prod", secret_key=DEFAULT_SECRET_KEY, frontend_origin="https://app.example")


def test_prod_refuses_a_short_secret_key():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        make(app_env="prod", secret_key="short", frontend_origin="https://app.example")


def test_prod_refuses_a_wildcard_cors_origin():
    with pytest.raises(ValidationError, match="FRONTEND_ORIGIN"):
        make(app_env="prod", secret_key=STRONG, frontend_origin="*")


def test_prod_accepts_a_strong_key_and_an_explicit_origin():
    settings = make(app_env="prod", secret_key=STRONG, frontend_origin="https://app.example")
    assert settings.is_prod and settings.json_logs


def test_dev_allows_the_default_key():
    assert make(app_env="dev").secret_key == DEFAULT_SECRET_KEY


@pytest.mark.parametrize("url", ["postgres://u:p@h:5432/db", "postgresql://u:p@h:5432/db"])
def test_postgres_urls_are_normalised_to_psycopg2(url):
    assert make(database_url=url).database_url == "postgresql+psycopg2://u:p@h:5432/db"


def test_default_database_is_sqlite_under_forecast():
    assert make().database_url == f"sqlite:///{FORECAST_DIR / 'forecast.db'}"


def test_relative_results_dir_is_resolved_against_forecast():
    assert make(results_dir="pipelines/results").results_dir == FORECAST_DIR / "pipelines" / "results"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_EXPIRE_MINUTES", "15")
    monkeypatch.setenv("REDIS_URL", "")
    settings = make()
    assert settings.access_token_expire_minutes == 15 and settings.redis_url is None


def test_relative_sqlite_paths_are_relative_to_forecast():
    assert make(database_url="sqlite:///./x.db").database_url == f"sqlite:///{FORECAST_DIR / 'x.db'}"


def test_prod_refuses_the_env_example_placeholder_secret():
    placeholder = "change-me-to-a-long-random-value-of-48-characters"  # as in .env.example
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        make(app_env="prod", secret_key=placeholder, frontend_origin="https://app.example")
