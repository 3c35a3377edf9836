"""Course catalog import from CSV (columns: cod_curso, nombre, creditos[, familia, nivel])."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import repository

REQUIRED_COLUMNS = ("cod_curso", "nombre", "creditos")


class CatalogError(ValueError):
    pass


def _optional_int(value: str | None, line: int, column: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise CatalogError(f"line {line}: {column} must be an integer, got {value!r}") from None


def read_courses_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = {c.strip().lower() for c in reader.fieldnames or []}
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise CatalogError(f"missing column(s): {', '.join(missing)}")
        rows: dict[str, dict[str, Any]] = {}
        for line, raw in enumerate(reader, start=2):
            record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            code = record["cod_curso"]
            if not code or len(code) > 32:
                raise CatalogError(f"line {line}: cod_curso must be 1-32 characters")
            creditos = _optional_int(record["creditos"], line, "creditos")
            if creditos is None:
                raise CatalogError(f"line {line}: creditos is required")
            # A later row for the same course wins, as an upsert would.
            rows[code] = {
                "cod_curso": code,
                "nombre": record["nombre"][:200] or code,
                "creditos": creditos,
                "familia": record.get("familia") or None,
                "nivel": _optional_int(record.get("nivel"), line, "nivel"),
            }
    return list(rows.values())


async def import_courses(session: AsyncSession, path: Path) -> int:
    return await repository.upsert_courses(session, read_courses_csv(path))
