"""The one datetime format of both the API's bodies and its errors: UTC, microseconds, a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_z(value: datetime) -> str:
    # SQLite hands back naive datetimes; everything we store is UTC.
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_timestamp() -> str:
    return utc_z(datetime.now(UTC))
