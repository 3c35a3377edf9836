"""What both services say the same way about their database: the URL spellings they accept, and which
driver errors mean "the database is unavailable" (503 ``database_unavailable``, not a bug: 500)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import exc as sa_exc

POSTGRES_DRIVER = "postgresql+psycopg2://"
# The spellings Supabase, Railway and Heroku hand out, all onto the one PostgreSQL driver.
_POSTGRES_SPELLINGS = ("postgres://", "postgresql://")
_SQLITE = "sqlite:///"


def normalise_database_url(url: str, base_dir: Path) -> str:
    """``postgres://`` and ``postgresql://`` become ``postgresql+psycopg2://``; a relative SQLite file
    (``sqlite:///./app.db``) is relative to ``base_dir`` (the service's folder), whatever the working
    directory. Any other scheme is refused (ValueError), naming the accepted ones and never the URL."""
    url = url.strip()
    for spelling in _POSTGRES_SPELLINGS:
        if url.startswith(spelling):
            return POSTGRES_DRIVER + url[len(spelling) :]
    if url.startswith(POSTGRES_DRIVER):
        return url
    if not url.startswith(_SQLITE):
        raise ValueError(
            "DATABASE_URL must start with postgres://, postgresql://, postgresql+psycopg2:// or sqlite:///"
        )
    rest = url[len(_SQLITE) :]
    if rest.startswith("/") or not rest or rest.startswith(":memory:"):  # absolute, or in memory
        return url
    path, sep, query = rest.partition("?")
    return f"{_SQLITE}{(base_dir / Path(path).expanduser()).resolve()}{sep}{query}"


def is_database_unavailable(exc: BaseException) -> bool:
    """True when the database could not be reached or did not answer (a refused or dropped connection,
    a client-side deadline, a pool that stayed exhausted for its timeout), not for bad SQL."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    # A connection closed under a statement (the server went away mid-transaction).
    return isinstance(exc, sa_exc.InvalidRequestError) and "connection is closed" in str(exc)
