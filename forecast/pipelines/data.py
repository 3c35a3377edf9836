"""Loading and validating the price series.

Bundled series come from the ``arch`` package so the default run works offline. User CSVs are checked
row by row, and every error names the problem and the CSV line so the user can fix the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from runcontract.run import asset_name

# Rows the feature warm-up consumes (longest rolling window); see features.py.
FEATURE_WARMUP = 60
# Minimum rows left for the walk-forward after warm-up and the longest horizon: enough for a first
# training window plus several test folds.
MIN_MODEL_ROWS = 250

PRICE_CANDIDATES = ("adj close", "adj_close", "adjclose", "close", "price")
DATE_CANDIDATES = ("date", "datetime", "timestamp", "time", "day")

# name -> (arch module, default price column)
BUNDLED = {
    "sp500": ("sp500", "Adj Close"),
    "nasdaq": ("nasdaq", "Adj Close"),
    "wti": ("wti", "DCOILWTICO"),
}
DEFAULT_DATA = "sp500"


class DataError(ValueError):
    """A problem with the input series, phrased for the person who supplied it."""


def parse_sources(text: str) -> tuple[str, ...]:
    """``--data``: comma-separated sources (bundled names, CSV paths), or a ``.toml`` file that lists them
    as ``assets = ["sp500", "wti", "prices.csv"]`` (CSV paths relative to the TOML file's folder)."""
    text = text.strip()
    if text.lower().endswith(".toml"):
        return _sources_from_toml(Path(text))
    sources = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if not sources:
        raise DataError("--data names no data set: give a bundled name, a CSV path or a .toml list")
    return sources


def _sources_from_toml(path: Path) -> tuple[str, ...]:
    try:
        listed = tomllib.loads(path.read_text(encoding="utf-8")).get("assets")
    except OSError as exc:
        raise DataError(f"cannot read the asset list {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"asset list {path} is not valid TOML: {exc}") from exc
    if not isinstance(listed, list) or not listed or not all(isinstance(s, str) and s.strip() for s in listed):
        raise DataError(f'asset list {path} needs assets = ["sp500", "wti", "prices.csv", ...]')
    resolved = []
    for source in listed:
        source = source.strip()
        is_path = source.lower() not in BUNDLED and not Path(source).is_absolute()
        resolved.append(str(path.parent / source) if is_path else source)
    return tuple(dict.fromkeys(resolved))


def asset_names(sources: tuple[str, ...]) -> list[str]:
    """Each source's asset name (runcontract.run.asset_name), refused when two sources share one."""
    names = [asset_name(f"arch:{s.lower()}" if s.lower() in BUNDLED else s) for s in sources]
    seen: dict[str, str] = {}
    for name, source in zip(names, sources, strict=True):
        if name in seen:
            raise DataError(f"{seen[name]!r} and {source!r} would both be asset {name!r}: rename one CSV")
        seen[name] = source
    return names


@dataclass
class PriceSeries:
    frame: pd.DataFrame  # index: DatetimeIndex (sorted, unique); columns: price[, volume]
    source: str
    price_column: str

    @property
    def has_volume(self) -> bool:
        return "volume" in self.frame.columns


def min_rows(max_horizon: int) -> int:
    return FEATURE_WARMUP + max_horizon + MIN_MODEL_ROWS


def _pick_column(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
    lower = {c.strip().lower(): c for c in columns}
    if wanted is not None:
        if wanted in columns:
            return wanted
        if wanted.strip().lower() in lower:
            return lower[wanted.strip().lower()]
        raise DataError(f"{what} column {wanted!r} not found; columns are {columns}")
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    raise DataError(f"no {what} column found (looked for {', '.join(candidates)}); columns are {columns}")


def load_bundled(name: str, price_column: str | None = None) -> PriceSeries:
    import importlib

    module_name, default_col = BUNDLED[name]
    raw = importlib.import_module(f"arch.data.{module_name}").load()
    col = _pick_column(list(raw.columns), price_column or default_col, PRICE_CANDIDATES, "price")
    frame = pd.DataFrame({"price": raw[col].astype(float)}, index=pd.DatetimeIndex(raw.index))
    vol_col = next((c for c in raw.columns if c.lower() == "volume"), None)
    if vol_col is not None:
        frame["volume"] = raw[vol_col].astype(float)
    # FRED marks holidays with "." which arrive as NaN (290 rows in wti): they are not trading days.
    frame = frame.dropna(subset=["price"]).sort_index()
    frame.index.name = "date"
    return PriceSeries(frame, f"arch:{name}", col)


def load_csv(path: str | Path, price_column: str | None = None) -> PriceSeries:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"CSV file not found: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises several parser errors; the message is what matters
        raise DataError(f"could not read CSV {path}: {exc}") from exc
    if raw.empty:
        raise DataError(f"CSV {path} has no data rows")
    columns = list(raw.columns)
    date_col = _pick_column(columns, None, DATE_CANDIDATES, "date")
    price_col = _pick_column(columns, price_column, PRICE_CANDIDATES, "price")
    line = np.arange(len(raw)) + 2  # CSV line numbers: header is line 1

    dates = pd.to_datetime(raw[date_col].str.strip(), errors="coerce", format="mixed")
    bad = dates.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"unparseable date {raw[date_col].iloc[i]!r} at line {line[i]} (column {date_col!r})")
    prices = pd.to_numeric(raw[price_col].str.strip().str.replace(",", "", regex=False), errors="coerce")
    bad = (prices.isna() | ~np.isfinite(prices)).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"unparseable price {raw[price_col].iloc[i]!r} at line {line[i]} (column {price_col!r})")
    bad = (prices <= 0).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"non-positive price {prices.iloc[i]} at line {line[i]}: log returns need prices > 0")
    dup = dates.duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        first = int(np.argmax((dates == dates.iloc[i]).to_numpy()))
        raise DataError(f"duplicate date {dates.iloc[i].date()} at line {line[i]} (first seen at line {line[first]})")

    frame = pd.DataFrame({"price": prices.to_numpy(float)}, index=pd.DatetimeIndex(dates, name="date"))
    vol_col = next((c for c in columns if c.strip().lower() == "volume"), None)
    if vol_col is not None:
        vol = pd.to_numeric(raw[vol_col].str.replace(",", "", regex=False), errors="coerce").to_numpy(float)
        # Volume is optional; a column with gaps is ignored rather than half-used.
        if np.isfinite(vol).all() and (vol >= 0).all():
            frame["volume"] = vol
    frame = frame.sort_index()
    return PriceSeries(frame, str(path), price_col)


def load_series(data: str | None, price_column: str | None = None, max_horizon: int = 30) -> PriceSeries:
    data = data or DEFAULT_DATA
    if data.lower() in BUNDLED:
        series = load_bundled(data.lower(), price_column)
    elif data.lower().endswith(".csv") or Path(data).exists():
        series = load_csv(data, price_column)
    else:
        raise DataError(f"unknown data set {data!r}: use one of {sorted(BUNDLED)} or a path to a .csv file")
    need = min_rows(max_horizon)
    if len(series.frame) < need:
        raise DataError(
            f"too little history: {len(series.frame)} rows, need at least {need} "
            f"({FEATURE_WARMUP} warm-up + {max_horizon} longest horizon + {MIN_MODEL_ROWS} for walk-forward)"
        )
    return series
