"""Where the suite's databases and services come from (testkit): both backends by default, and a
missing service is a skip on a developer's machine but a failure under CI=true."""

from __future__ import annotations

import pytest

from testkit import databases, services


@pytest.fixture
def no_postgres(monkeypatch, tmp_path):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setattr(databases, "port_open", lambda host, port, timeout=0.5: False)


def test_both_backends_run_unless_test_db_names_one(monkeypatch):
    monkeypatch.delenv("TEST_DB", raising=False)
    assert databases.selected_backends() == ["sqlite", "postgres"]
    monkeypatch.setenv("TEST_DB", "sqlite")
    assert databases.selected_backends() == ["sqlite"]
    monkeypatch.setenv("TEST_DB", "mysql")
    with pytest.raises(ValueError, match="TEST_DB"):
        databases.selected_backends()


def test_missing_postgres_skips_outside_ci(no_postgres, monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no PostgreSQL reachable"):
        with databases.migrated_database("postgres", tmp_path, "x", lambda url: None):
            pass


def test_missing_postgres_fails_under_ci(no_postgres, monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true.*no PostgreSQL reachable"):
        with databases.migrated_database("postgres", tmp_path, "x", lambda url: None):
            pass


def test_missing_redis_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Redis at redis://127.0.0.1:1/0 is not reachable"):
        services.require_redis("redis://127.0.0.1:1/0")  # nothing listens on port 1


def test_explicit_test_database_url_wins(no_postgres, monkeypatch):
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql://postgres@db:5432/test")
    assert databases.postgres_admin_url() == "postgresql://postgres@db:5432/test"


def test_sqlite_database_is_migrated_in_the_directory_given(tmp_path):
    seen = []
    with databases.migrated_database("sqlite", tmp_path, "unitrack_x", seen.append) as url:
        assert url.startswith(f"sqlite:///{tmp_path}/unitrack_x_") and seen == [url]


def test_a_missing_dev_package_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no_such_package_h15 is not installed"):
        services.require_module("no_such_package_h15")
    assert services.require_module("json").dumps([1]) == "[1]"
