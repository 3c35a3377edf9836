"""The history's statements as SQLAlchemy Core constructs, built once per filter shape.

A filter shape says which of ``cod_curso``, ``kind``, ``since`` and ``until`` a request sets, and in
which order it lists; each shape has its own statement (16 x 2 at most, cached), so every statement
says exactly what it filters on and the planner can pick the index that backs it
(``ix_inferences_user_id_cod_curso_created_at``, ``ix_inferences_user_id_kind_created_at`` or
``ix_inferences_user_id_created_at``), which a catch-all ``(:x IS NULL OR col = :x)`` would hide.

Values are bound by name (``user_id``, ``cod_curso``, ``kind``, ``since``, ``until``, ``limit``,
``offset``, ``after_created_at``, ``after_id``, ``inference_id``); :meth:`HistoryFilter.params`
gives the filter's. Every statement selects :data:`ROW_COLUMNS`: ``input``/``output`` as JSON text
(spliced into the response as they are) and ``cod_persona`` as text, on both backends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Delete, Select, Text, and_, bindparam, cast, delete, func, or_, select, true

from app.db.models import Inference

_inferences = Inference.__table__
_c = _inferences.c

# id, kind, cod_curso, cod_persona (text or None), input JSON text, output JSON text, version, created_at
HistoryRow = tuple[str, str, str, str | None, str, str, str, datetime]

ROW_COLUMNS = (
    _c.id,
    _c.kind,
    _c.cod_curso,
    _c.input["cod_persona"].as_string().label("cod_persona"),
    cast(_c.input, Text).label("input"),
    cast(_c.output, Text).label("output"),
    _c.version,
    _c.created_at,
)


@dataclass(frozen=True)
class HistoryFilter:
    """Which of a user's rows to list or export, and in which order (newest first by default).

    ``since`` and ``until`` are timezone-aware and inclusive."""

    cod_curso: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    oldest_first: bool = False

    @property
    def shape(self) -> FilterShape:
        return FilterShape(
            cod_curso=self.cod_curso is not None,
            kind=self.kind is not None,
            since=self.since is not None,
            until=self.until is not None,
            oldest_first=self.oldest_first,
        )

    def params(self, user_id: uuid.UUID) -> dict[str, Any]:
        """The bound values of this filter's statements (only the ones its shape uses)."""
        values: dict[str, Any] = {"user_id": user_id}
        if self.cod_curso is not None:
            values["cod_curso"] = self.cod_curso
        if self.kind is not None:
            values["kind"] = self.kind
        # In UTC: SQLite stores created_at as UTC wall-clock text and compares text, so a bound
        # value with another offset would be compared as if it were UTC.
        if self.since is not None:
            values["since"] = self.since.astimezone(UTC)
        if self.until is not None:
            values["until"] = self.until.astimezone(UTC)
        return values


EVERYTHING = HistoryFilter()


def history_row(values: Iterable[Any]) -> HistoryRow:
    """A row of :data:`ROW_COLUMNS` as the store hands it on (the id as text, whichever driver read it)."""
    id_, kind, cod_curso, cod_persona, input_json, output_json, version, created_at = values
    return (str(id_), kind, cod_curso, cod_persona, input_json, output_json, version, created_at)


def after_params(row: HistoryRow) -> dict[str, Any]:
    """The keyset position just past ``row`` (the last row of the previous chunk), as bound values."""
    return {"after_created_at": row[7], "after_id": uuid.UUID(row[0])}


@dataclass(frozen=True)
class FilterShape:
    cod_curso: bool
    kind: bool
    since: bool
    until: bool
    oldest_first: bool


def _where(shape: FilterShape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_c.user_id == bindparam("user_id")]
    if shape.cod_curso:
        conditions.append(_c.cod_curso == bindparam("cod_curso"))
    if shape.kind:
        conditions.append(_c.kind == bindparam("kind"))
    if shape.since:
        conditions.append(_c.created_at >= bindparam("since"))
    if shape.until:
        conditions.append(_c.created_at <= bindparam("until"))
    return conditions


def _ordered(statement: Select[Any], shape: FilterShape) -> Select[Any]:
    # Rows stored in the same microsecond are told apart by id, so pages and chunks never overlap.
    if shape.oldest_first:
        return statement.order_by(_c.created_at.asc(), _c.id.asc())
    return statement.order_by(_c.created_at.desc(), _c.id.desc())


@cache
def count(shape: FilterShape) -> Select[Any]:
    return select(func.count().label("total")).select_from(_inferences).where(*_where(shape))


@cache
def page(shape: FilterShape) -> Select[Any]:
    return (
        _ordered(select(*ROW_COLUMNS).where(*_where(shape)), shape)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@cache
def page_with_total(shape: FilterShape) -> Select[Any]:
    """PostgreSQL: the count and the page in one round trip. Unfiltered, the count is an
    index-only scan of ix_inferences_user_id_created_at once autovacuum has marked the pages
    all-visible (migration 0003) and the page a scan of the same index. The LEFT JOIN LATERAL
    gives one row of NULLs beside the count when the page is empty."""
    total = count(shape).subquery("t")
    rows = page(shape).lateral("p")
    return select(total.c.total, *rows.c).select_from(total.outerjoin(rows, true()))


@cache
def chunk(shape: FilterShape, *, after: bool) -> Select[Any]:
    """Up to ``limit`` rows in the shape's order, past the keyset position (``after_created_at``,
    ``after_id``) when ``after``: each chunk of an export is one short, indexed query, however far
    in it is (no OFFSET to skip), and no row is read twice or skipped."""
    conditions = _where(shape)
    if after:
        at, at_id = bindparam("after_created_at", type_=_c.created_at.type), bindparam("after_id", type_=_c.id.type)
        # Spelled out rather than as a row comparison, so the created_at bound is an index condition.
        if shape.oldest_first:
            conditions += [_c.created_at >= at, or_(_c.created_at > at, and_(_c.created_at == at, _c.id > at_id))]
        else:
            conditions += [_c.created_at <= at, or_(_c.created_at < at, and_(_c.created_at == at, _c.id < at_id))]
    return _ordered(select(*ROW_COLUMNS).where(*conditions), shape).limit(bindparam("limit"))


# One of the user's rows (204) or none: another user's row is not theirs to delete (404 either way).
DELETE_ONE: Delete = delete(Inference).where(
    _c.id == bindparam("inference_id", type_=_c.id.type), _c.user_id == bindparam("user_id")
)
# All of the user's rows. Their idempotency keys go with them (ON DELETE CASCADE; SQLite enforces
# it with PRAGMA foreign_keys=ON, app/db/engine.py).
DELETE_ALL: Delete = delete(Inference).where(_c.user_id == bindparam("user_id"))
