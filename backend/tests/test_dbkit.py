"""The test-database chooser: PostgreSQL when available, SQLite otherwise, failure in CI."""

from __future__ import annotations

import dbkit
import pytest


@pytest.fixture
def no_postgres(monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.delenv("UNITRACK_TEST_DB", raising=False)
    monkeypatch.setattr(dbkit, "_port_open", lambda host, port: False)


def test_missing_postgres_falls_back_to_sqlite_outside_ci(no_postgres, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert dbkit.choose_target().kind == "sqlite"


def test_missing_postgres_is_a_failure_in_ci(no_postgres, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(RuntimeError, match="PostgreSQL is required"):
        dbkit.choose_target()


def test_explicit_test_database_url_wins(no_postgres, monkeypatch):
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql://postgres@db:5432/test")
    target = dbkit.choose_target()
    assert target.kind == "postgresql" and target.admin_url.endswith("/test")
