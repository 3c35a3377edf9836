import subprocess
import sys

from sqlalchemy import create_engine, inspect

from api.config import FORECAST_DIR
from api.db import migrate

TABLES = {"users", "revoked_tokens", "login_failures"}


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_go_down_and_up_again(database_url):
    assert TABLES <= _tables(database_url)
    try:
        migrate.downgrade(database_url, "base")
        assert not (TABLES & _tables(database_url))
    finally:
        migrate.upgrade(database_url)
    assert TABLES <= _tables(database_url)


def test_constraint_names_follow_the_convention(database_url):
    engine = create_engine(database_url)
    try:
        inspector = inspect(engine)
        assert inspector.get_pk_constraint("users")["name"] in {"pk_users", None}  # SQLite does not keep pk names
        assert {u["name"] for u in inspector.get_unique_constraints("users")} == {"uq_users_username"}
    finally:
        engine.dispose()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], cwd=FORECAST_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_cli_migrates_creates_users_and_refuses_the_demo_user_in_prod(tmp_path):
    import os

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "APP_ENV": "dev"}
    assert _cli("migrate", env=env).returncode == 0
    created = _cli(
        "create-user", "--username", "bob", "--email", "bob@example.com", "--password", "pw-12345678", env=env
    )
    assert created.returncode == 0 and "created user 'bob'" in created.stdout
    assert (
        _cli("create-user", "--username", "bob", "--email", "b@x.io", "--password", "pw-12345678", env=env).returncode
        == 1
    )
    demo = _cli("ensure-demo-user", env=env)
    assert demo.returncode == 0 and "username=demo password=" in demo.stdout
    assert _cli("ensure-demo-user", env=env).returncode == 0  # idempotent
    # A production configuration the settings accept (PostgreSQL; never reached: the command refuses first).
    prod = {
        **env,
        "APP_ENV": "prod",
        "SECRET_KEY": "k" * 40,
        "FRONTEND_ORIGIN": "https://app.example",
        "DATABASE_URL": "postgresql://u@127.0.0.1:1/never",
    }
    refused = _cli("ensure-demo-user", env=prod)
    assert refused.returncode == 2 and "refused" in refused.stderr
