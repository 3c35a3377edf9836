"""Shared field types for the forecast contracts.

The front end validates datetimes with Zod's ``z.string().datetime()``, which rejects naive values and
``+00:00`` offsets, so every datetime leaves the service in UTC with a ``Z`` suffix. Naive input is
taken to be UTC, which is what the pipeline writes.
"""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    return _as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_as_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
    # The serializer hides the datetime from the schema generator; say what goes over the wire.
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def utc_now() -> datetime:
    return datetime.now(UTC)
