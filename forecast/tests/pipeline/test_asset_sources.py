"""--data takes several sources: bundled names and CSV paths, comma-separated or from a TOML list; the typed
PipelineConfig holds them, each under a name of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import PipelineConfig
from pipelines.data import DataError, asset_names, parse_sources
from pipelines.run import parse_args


def test_data_takes_comma_separated_bundled_names_and_csv_paths(rw_csv):
    config = parse_args(["--data", f"sp500, WTI,{rw_csv}"])
    assert config.data == ("sp500", "WTI", str(rw_csv))
    assert config.asset_names == ["sp500", "wti", "rw"]


def test_data_reads_a_toml_list_with_csv_paths_relative_to_it(rw_csv, tmp_path):
    listing = tmp_path / "assets.toml"
    listing.write_text(f'assets = ["wti", "{rw_csv.name}", "sp500"]\n')
    config = parse_args(["--data", str(listing)])
    assert config.data == ("wti", str(tmp_path / rw_csv.name), "sp500")
    assert config.asset_names == ["wti", "rw", "sp500"]


def test_a_config_built_in_code_takes_a_string_as_the_cli_does():
    assert PipelineConfig(data="sp500,wti").data == ("sp500", "wti")
    assert PipelineConfig().data == ("sp500",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" , ", "names no data set"),
        ("a/prices.csv,b/prices.csv", "would both be asset 'prices'"),
    ],
)
def test_unusable_source_lists_are_refused_with_the_reason(text, message):
    with pytest.raises(DataError, match=message):
        asset_names(parse_sources(text))


@pytest.mark.parametrize(
    ("content", "message"),
    [("assets = 'sp500'", "needs assets = "), ("assets = [", "not valid TOML"), ("other = [1]", "needs assets = ")],
)
def test_a_bad_toml_list_is_refused_with_the_reason(tmp_path: Path, content, message):
    listing = tmp_path / "bad.toml"
    listing.write_text(content)
    with pytest.raises(DataError, match=message):
        parse_sources(str(listing))
    with pytest.raises(SystemExit):
        parse_args(["--data", str(listing)])


def test_a_missing_toml_list_is_refused(tmp_path):
    with pytest.raises(DataError, match="cannot read the asset list"):
        parse_sources(str(tmp_path / "nope.toml"))
