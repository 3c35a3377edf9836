"""CSV loading: every bad input gets an error naming the problem and the CSV line."""

from pathlib import Path

import pytest

from pipelines.data import DataError, load_series, min_rows
from tests.pipeline.helpers import synthetic_prices, write_csv


def _csv(tmp_path: Path, lines: list[str], n_good: int = 0) -> Path:
    good = synthetic_prices(n_good, seed=1) if n_good else None
    body = ["Date,Close"]
    if good is not None:
        body += [f"{d:%Y-%m-%d},{p:.4f}" for d, p in good["price"].items()]
    body += lines
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(body) + "\n")
    return p


def test_valid_csv_autodetects_close_case_insensitive_and_sorts(tmp_path):
    frame = synthetic_prices(500)
    shuffled = frame.sample(frac=1.0, random_state=0)
    path = write_csv(shuffled, tmp_path / "ok.csv", price_col="CLOSE")
    s = load_series(str(path))
    assert s.price_column == "CLOSE"
    assert s.frame.index.is_monotonic_increasing
    assert s.frame["price"].tolist() == pytest.approx(frame["price"].tolist())


def test_adj_close_preferred_and_explicit_column(tmp_path):
    p = tmp_path / "two.csv"
    f = synthetic_prices(500)
    f.assign(adj=f["price"] * 2).rename(columns={"price": "Close", "adj": "Adj Close"}).reset_index().to_csv(
        p, index=False
    )
    assert load_series(str(p)).price_column == "Adj Close"
    assert load_series(str(p), price_column="close").price_column == "Close"


@pytest.mark.parametrize(
    ("lines", "pattern"),
    [
        (["2030-01-01,10", "2030-01-01,11"], r"duplicate date 2030-01-01 at line 503 \(first seen at line 502\)"),
        (["not-a-date,10"], r"unparseable date 'not-a-date' at line 502"),
        (["2030-01-01,abc"], r"unparseable price 'abc' at line 502"),
        (["2030-01-01,"], r"unparseable price '' at line 502"),
        (["2030-01-01,0"], r"non-positive price 0.0 at line 502"),
        (["2030-01-01,-5"], r"non-positive price -5.0 at line 502"),
    ],
)
def test_bad_rows_name_problem_and_line(tmp_path, lines, pattern):
    with pytest.raises(DataError, match=pattern):
        load_series(str(_csv(tmp_path, lines, n_good=500)))


def test_too_little_history_states_minimum(tmp_path):
    path = write_csv(synthetic_prices(100), tmp_path / "short.csv")
    with pytest.raises(DataError, match=rf"too little history: 100 rows, need at least {min_rows(30)}"):
        load_series(str(path))


def test_missing_columns_and_files(tmp_path):
    p = tmp_path / "nocol.csv"
    p.write_text("Date,Foo\n2020-01-01,1\n")
    with pytest.raises(DataError, match="no price column"):
        load_series(str(p))
    with pytest.raises(DataError, match="not found"):
        load_series(str(tmp_path / "missing.csv"))
    with pytest.raises(DataError, match="unknown data set"):
        load_series("no_such_dataset")


def test_bundled_sp500_loads_offline():
    s = load_series("sp500")
    assert s.source == "arch:sp500" and s.price_column == "Adj Close" and s.has_volume
    assert len(s.frame) == 5031 and (s.frame["price"] > 0).all()
