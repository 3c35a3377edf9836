"""History use cases: the caller's rows listed (filtered, in either order), exported as a stream, and
deleted one by one or all at once.

Every function takes the caller and touches only the caller's rows: another user's row is not
found, never forbidden, so nobody learns whether an id exists.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal

import structlog

from app.core.security import Principal
from app.db.history_queries import EVERYTHING, HistoryFilter, HistoryRow
from app.db.inference_store import InferenceStore
from servicekit.timestamps import utc_z

__all__ = [
    "EVERYTHING",
    "EXPORT_CHUNK_ROWS",
    "Export",
    "ExportFormat",
    "HistoryFilter",
    "InferenceNotFound",
    "delete",
    "delete_all",
    "export",
    "page",
]

log = structlog.get_logger(__name__)

# Rows per query of an export: what the export holds at a time, whatever the history's size.
EXPORT_CHUNK_ROWS = 500

ExportFormat = Literal["csv", "json"]


class InferenceNotFound(Exception):
    """The caller has no inference with this id (it may be another user's, or none at all)."""


async def page(store: InferenceStore, user: Principal, where: HistoryFilter, *, limit: int, offset: int) -> bytes:
    """The caller's page as ``HistoryPage`` JSON bytes.

    The stored ``input``/``output`` documents arrive as JSON text and are spliced into the
    response as they are: decoding up to 400 documents per page and encoding them again was most
    of this endpoint's CPU time (bench/unitrack/README.md).
    """
    rows, total = await store.history_page(user.id, limit=limit, offset=offset, where=where)
    items = ",".join(_item_json(row) for row in rows)
    return f'{{"items":[{items}],"total":{total},"limit":{limit},"offset":{offset}}}'.encode()


@dataclass(frozen=True)
class Export:
    media_type: str
    filename: str
    body: AsyncIterator[bytes]


async def export(store: InferenceStore, user: Principal, where: HistoryFilter, export_format: ExportFormat) -> Export:
    """The caller's rows that ``where`` selects, as a stream of CSV or JSON.

    Read in chunks of :data:`EXPORT_CHUNK_ROWS` by keyset (history_queries.chunk), each chunk its own
    short query, so neither memory nor a database connection is held for the whole export however
    many rows there are or however slowly the client reads. The first chunk is read before the
    response starts: a database that is down is a 503 in the error shape, not a 200 cut short. A
    failure later can only cut the stream: a JSON export then lacks its closing ``]`` and never
    parses. Rows stored or deleted while an export runs may or may not be in it; no row is in it twice.
    """
    first = await store.history_chunk(user.id, where, after=None, limit=EXPORT_CHUNK_ROWS)
    writer = _FORMATS[export_format]
    return Export(
        media_type=writer.media_type,
        filename=f"unitrack-history.{export_format}",
        body=_stream(store, user.id, where, first, writer),
    )


async def delete(store: InferenceStore, user: Principal, inference_id: uuid.UUID) -> None:
    """Delete one of the caller's rows (its idempotency key goes with it)."""
    if not await store.delete_inference(user.id, inference_id):
        raise InferenceNotFound


async def delete_all(store: InferenceStore, user: Principal) -> int:
    """Delete every row of the caller's; how many went (none is not an error)."""
    return await store.delete_history(user.id)


@dataclass(frozen=True)
class _Writer:
    media_type: str
    head: bytes
    rows: Callable[[list[HistoryRow], bool], bytes]  # (chunk, is it the first) -> bytes
    tail: bytes


async def _stream(
    store: InferenceStore, user_id: uuid.UUID, where: HistoryFilter, rows: list[HistoryRow], writer: _Writer
) -> AsyncIterator[bytes]:
    yield writer.head
    first = True
    try:
        while rows:
            yield writer.rows(rows, first)
            first = False
            if len(rows) < EXPORT_CHUNK_ROWS:
                break
            rows = await store.history_chunk(user_id, where, after=rows[-1], limit=EXPORT_CHUNK_ROWS)
    except Exception as exc:
        # The response has started: the only way left to say so is to cut it.
        log.warning("history_export_interrupted", error=type(exc).__name__)
        raise
    yield writer.tail


def _json_rows(rows: list[HistoryRow], first: bool) -> bytes:
    return (("" if first else ",\n") + ",\n".join(_item_json(row) for row in rows)).encode()


CSV_COLUMNS = ("id", "kind", "cod_curso", "cod_persona", "version", "created_at", "input", "output")


def _csv_rows(rows: list[HistoryRow], _: bool) -> bytes:
    buffer = io.StringIO()
    write = csv.writer(buffer).writerow
    for id_, kind, cod_curso, cod_persona, input_json, output_json, version, created_at in rows:
        write((id_, kind, cod_curso, cod_persona or "", version, utc_z(created_at), input_json, output_json))
    return buffer.getvalue().encode()


def _csv_head() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(CSV_COLUMNS)
    return buffer.getvalue().encode()


_FORMATS: dict[str, _Writer] = {
    # A JSON array of HistoryItem, one item per line.
    "json": _Writer("application/json", b"[\n", _json_rows, b"\n]\n"),
    # RFC 4180 CSV with a header row; input and output are JSON documents in their cells.
    "csv": _Writer("text/csv; charset=utf-8", _csv_head(), _csv_rows, b""),
}


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_INT = re.compile(r"-?[0-9]+")


def _item_json(row: HistoryRow) -> str:
    """One ``HistoryItem`` as JSON, field for field as pydantic would write it."""
    id_, kind, cod_curso, cod_persona, input_json, output_json, version, created_at = row
    persona = cod_persona if cod_persona is not None and _INT.fullmatch(cod_persona) else "null"
    return (
        f'{{"id":"{id_}","kind":{_dumps(kind)},"cod_curso":{_dumps(cod_curso)},'
        f'"cod_persona":{persona},"input":{input_json},"output":{output_json},'
        f'"version":{_dumps(version)},"created_at":"{utc_z(created_at)}"}}'
    )
