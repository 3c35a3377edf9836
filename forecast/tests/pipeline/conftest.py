"""Fixtures for the pipeline tests (helpers live in helpers.py so tests can import them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.helpers import synthetic_prices, write_csv


@pytest.fixture
def rw_csv(tmp_path: Path) -> Path:
    return write_csv(synthetic_prices(900, seed=11), tmp_path / "rw.csv")
