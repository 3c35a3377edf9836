"""The one datetime format of both services' bodies and errors: UTC, microseconds, a ``Z``.

The forecast front end validates datetimes with Zod's ``z.string().datetime()``, which rejects naive
values and ``+00:00`` offsets, so every datetime leaves either service in UTC with a ``Z`` suffix.
Naive values are taken to be UTC: SQLite hands them back, and the pipeline writes UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_z(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_timestamp() -> str:
    return utc_z(utc_now())


UtcDatetime = Annotated[
    datetime,
    AfterValidator(as_utc),
    PlainSerializer(utc_z, return_type=str, when_used="json"),
    # The serializer hides the datetime from the schema generator; say what goes over the wire.
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
