"""The kit's database URL spellings and its test for "the database is unavailable"."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import exc as sa_exc

from servicekit.database import is_database_unavailable, normalise_database_url

BASE = Path("/srv/service")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg2://u:p@h:5432/d"),
        (" postgresql://u:p@h/d?sslmode=require ", "postgresql+psycopg2://u:p@h/d?sslmode=require"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("sqlite:///./app.db", "sqlite:////srv/service/app.db"),
        ("sqlite:///data/app.db?timeout=5", "sqlite:////srv/service/data/app.db?timeout=5"),
    ],
)
def test_database_urls_map_onto_psycopg2_and_relative_sqlite_files_onto_the_service_folder(
    url: str, expected: str
) -> None:
    assert normalise_database_url(url, BASE) == expected


@pytest.mark.parametrize("url", ["mysql://u:secret@h/d", "sqlite://", "", "postgresql+asyncpg://u:secret@h/d"])
def test_other_schemes_are_refused_without_echoing_the_url(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        normalise_database_url(url, BASE)
    assert "secret" not in str(refused.value) and "postgres://" in str(refused.value)


def test_a_refused_connection_is_unavailable_and_bad_sql_is_not() -> None:
    down = create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    with pytest.raises(sa_exc.OperationalError) as refused:
        down.connect()
    assert is_database_unavailable(refused.value)
    assert not is_database_unavailable(sa_exc.ProgrammingError("SELEC 1", {}, Exception("syntax error")))
    assert not is_database_unavailable(sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_database_unavailable(ValueError("not a database error"))


def test_an_exhausted_pool_and_a_closed_connection_are_unavailable() -> None:
    assert is_database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))
    assert is_database_unavailable(sa_exc.ResourceClosedError("This connection is closed"))
    assert not is_database_unavailable(sa_exc.InvalidRequestError("bad argument"))
    invalidated = sa_exc.DBAPIError("SELECT 1", {}, Exception("server closed the connection"))
    invalidated.connection_invalidated = True
    assert is_database_unavailable(invalidated)
